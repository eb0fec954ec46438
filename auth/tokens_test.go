package auth

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Tokens built with python3 (hmac/hashlib/base64/json) exactly as Flask-JWT-Extended lays them
// out, signed with flaskSecret; iat=nbf=1700000000, exp=1700000900.
const (
	flaskSecret        = "flask-secret"
	flaskTokenIntSub   = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJmcmVzaCI6ZmFsc2UsImlhdCI6MTcwMDAwMDAwMCwianRpIjoiNmYxYzJiNGUtM2Q1YS00YjdjLTllOGYtMGExYjJjM2Q0ZTVmIiwidHlwZSI6ImFjY2VzcyIsIm5iZiI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAwOTAwLCJzdWIiOjQyfQ.qQHhKTOKsiYKa5vAngTQH4LTMV9mIFpTZVLY9GBqOag"
	flaskTokenStrSub   = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJmcmVzaCI6ZmFsc2UsImlhdCI6MTcwMDAwMDAwMCwianRpIjoiNmYxYzJiNGUtM2Q1YS00YjdjLTllOGYtMGExYjJjM2Q0ZTVmIiwidHlwZSI6ImFjY2VzcyIsIm5iZiI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAwOTAwLCJzdWIiOiI0MiJ9.eII_cM7tY_slwNFr9ry1pQBxpBEMLmVsIuXRFAnOA30"
	flaskTokenIdentity = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJmcmVzaCI6ZmFsc2UsImlhdCI6MTcwMDAwMDAwMCwianRpIjoiNmYxYzJiNGUtM2Q1YS00YjdjLTllOGYtMGExYjJjM2Q0ZTVmIiwidHlwZSI6ImFjY2VzcyIsIm5iZiI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAwOTAwLCJpZGVudGl0eSI6N30.yEWnR7QuUdicbAOPBP5QboDZB_Nmj_0BeJu2H15zvt8"
	flaskTokenRefresh  = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJmcmVzaCI6ZmFsc2UsImlhdCI6MTcwMDAwMDAwMCwianRpIjoiNmYxYzJiNGUtM2Q1YS00YjdjLTllOGYtMGExYjJjM2Q0ZTVmIiwidHlwZSI6InJlZnJlc2giLCJuYmYiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDkwMCwic3ViIjoiNDIifQ.cU3rLYXOXh94SEwgv3R9p7zKt_l3NRVz6umztQxXFeo"
	flaskTokenHS512    = "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJmcmVzaCI6ZmFsc2UsImlhdCI6MTcwMDAwMDAwMCwianRpIjoiNmYxYzJiNGUtM2Q1YS00YjdjLTllOGYtMGExYjJjM2Q0ZTVmIiwidHlwZSI6ImFjY2VzcyIsIm5iZiI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAwOTAwLCJzdWIiOiI0MiJ9.-tJjMWZYoimT6bBNzcvwLac2wFhDMkG9m01sHEpG_x20EbZGq0__uC67FUnW2oe1eKEJzato4n67XwbXR__fgg"
	flaskIssuedAtUnix  = 1700000000
)

func tokensAt(secret string, ttl time.Duration, now time.Time) *Tokens {
	tokens := NewTokens([]byte(secret), ttl)
	tokens.now = func() time.Time { return now }
	return tokens
}

func flaskTokens() *Tokens {
	return tokensAt(flaskSecret, 15*time.Minute, time.Unix(flaskIssuedAtUnix+60, 0))
}

// signMap signs claims with HS256 and the Flask secret, as another Flask-JWT-Extended instance would.
func signMap(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(flaskSecret))
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return signed
}

func flaskClaims(sub any) jwt.MapClaims {
	return jwt.MapClaims{
		"sub": sub, "type": "access", "fresh": false, "jti": "3b0c1d2e-0000-4000-8000-000000000000",
		"iat": flaskIssuedAtUnix, "nbf": flaskIssuedAtUnix, "exp": flaskIssuedAtUnix + 900,
	}
}

func wantInvalid(t *testing.T, tokens *Tokens, token string) {
	t.Helper()
	claims, err := tokens.Parse(token)
	if !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("Parse = %+v, %v; want ErrTokenInvalid", claims, err)
	}
	if strings.Contains(err.Error(), flaskSecret) {
		t.Fatalf("error %q reveals the secret", err)
	}
}

func TestTokensRoundTrip(t *testing.T) {
	now := time.Unix(1800000000, 0)
	tokens := tokensAt("round-trip-secret", time.Hour, now)
	token, err := tokens.Issue(1234, "alice")
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	claims, err := tokens.Parse(token)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if claims.UserID != 1234 || claims.Username != "alice" {
		t.Fatalf("claims = %+v; want user 1234 alice", claims)
	}
	if !claims.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("ExpiresAt = %v; want %v", claims.ExpiresAt, now.Add(time.Hour))
	}
	if parsed, err := uuid.Parse(claims.JTI); err != nil || parsed.Version() != 4 {
		t.Fatalf("jti %q is not a uuid4: %v", claims.JTI, err)
	}
}

func TestTokensIssueWritesFlaskClaims(t *testing.T) {
	now := time.Unix(1800000000, 0)
	token, err := tokensAt("s", time.Minute, now).Issue(7, "bob")
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	claims := jwt.MapClaims{}
	parsed, err := jwt.NewParser(jwt.WithoutClaimsValidation()).ParseWithClaims(token, claims,
		func(*jwt.Token) (any, error) { return []byte("s"), nil })
	if err != nil {
		t.Fatalf("parse issued token: %v", err)
	}
	if parsed.Header["alg"] != "HS256" {
		t.Errorf("alg = %v; want HS256", parsed.Header["alg"])
	}
	want := map[string]any{
		"sub": "7", "type": "access", "fresh": false, "username": "bob",
		"iat": float64(now.Unix()), "nbf": float64(now.Unix()), "exp": float64(now.Unix() + 60),
	}
	for key, value := range want {
		if claims[key] != value {
			t.Errorf("claim %s = %#v; want %#v", key, claims[key], value)
		}
	}
	if _, ok := claims["jti"].(string); !ok {
		t.Errorf("jti = %#v; want a string", claims["jti"])
	}
}

func TestTokensIssueRejectsBadConfig(t *testing.T) {
	if _, err := tokensAt("", time.Minute, time.Now()).Issue(1, "a"); err == nil {
		t.Error("Issue with an empty secret succeeded")
	}
	if _, err := tokensAt("s", 0, time.Now()).Issue(1, "a"); err == nil {
		t.Error("Issue with zero ttl succeeded")
	}
}

func TestTokensParseFlaskTokens(t *testing.T) {
	tokens := flaskTokens()
	cases := map[string]struct {
		token  string
		userID int64
	}{
		"python sub int":        {flaskTokenIntSub, 42},
		"python sub string":     {flaskTokenStrSub, 42},
		"python identity claim": {flaskTokenIdentity, 7},
		"go sub int":            {signMap(t, flaskClaims(42)), 42},
		"go sub string":         {signMap(t, flaskClaims("42")), 42},
		"go large id":           {signMap(t, flaskClaims("9007199254740993")), 9007199254740993},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			claims, err := tokens.Parse(c.token)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if claims.UserID != c.userID || claims.Username != "" {
				t.Fatalf("claims = %+v; want user %d without username", claims, c.userID)
			}
			if claims.ExpiresAt.Unix() != flaskIssuedAtUnix+900 {
				t.Fatalf("ExpiresAt = %v", claims.ExpiresAt)
			}
		})
	}
}

func TestTokensParseRejectsForeignAlgorithms(t *testing.T) {
	tokens := flaskTokens()
	t.Run("hs512", func(t *testing.T) { wantInvalid(t, tokens, flaskTokenHS512) })
	t.Run("alg none", func(t *testing.T) {
		none, err := jwt.NewWithClaims(jwt.SigningMethodNone, flaskClaims("42")).
			SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatalf("sign none: %v", err)
		}
		wantInvalid(t, tokens, none)
	})
	t.Run("rs256 header", func(t *testing.T) {
		// An RS256 header over an HMAC signature made with the secret: the classic key-confusion attempt.
		parts := strings.Split(flaskTokenStrSub, ".")
		header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
		wantInvalid(t, tokens, header+"."+parts[1]+"."+parts[2])
	})
}

func TestTokensParseRejectsBadTokens(t *testing.T) {
	tokens := flaskTokens()
	parts := strings.Split(flaskTokenStrSub, ".")
	tamperedPayload := base64.RawURLEncoding.EncodeToString([]byte(
		`{"fresh":false,"iat":1700000000,"jti":"x","type":"access","nbf":1700000000,"exp":1700000900,"sub":"1"}`))
	withoutExp := flaskClaims("42")
	delete(withoutExp, "exp")
	withoutSub := flaskClaims("42")
	delete(withoutSub, "sub")
	futureNbf := flaskClaims("42")
	futureNbf["nbf"] = flaskIssuedAtUnix + 600
	numericUsername := flaskClaims("42")
	numericUsername["username"] = 5
	otherSecret, err := tokensAt("other-secret", time.Hour, time.Unix(flaskIssuedAtUnix, 0)).Issue(42, "x")
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}

	cases := map[string]string{
		"wrong secret":     otherSecret,
		"tampered payload": parts[0] + "." + tamperedPayload + "." + parts[2],
		"truncated":        parts[0] + "." + parts[1],
		"garbage":          "not.a.jwt",
		"refresh token":    flaskTokenRefresh,
		"missing sub":      signMap(t, withoutSub),
		"missing exp":      signMap(t, withoutExp),
		"non-numeric sub":  signMap(t, flaskClaims("alice")),
		"signed sub":       signMap(t, flaskClaims("+42")),
		"fractional sub":   signMap(t, flaskClaims(42.5)),
		"zero sub":         signMap(t, flaskClaims(0)),
		"negative sub":     signMap(t, flaskClaims("-3")),
		"overflowing sub":  signMap(t, flaskClaims("99999999999999999999")),
		"object sub":       signMap(t, flaskClaims(map[string]any{"id": 42})),
		"nbf in future":    signMap(t, futureNbf),
		"numeric username": signMap(t, numericUsername),
		"oversized":        strings.Repeat("a", 9000),
	}
	for name, token := range cases {
		t.Run(name, func(t *testing.T) { wantInvalid(t, tokens, token) })
	}
}

func TestTokensParseExpiry(t *testing.T) {
	expiresAt := time.Unix(flaskIssuedAtUnix+900, 0)
	// Within the 10 s leeway the token is still good; after it, ErrTokenExpired.
	if _, err := tokensAt(flaskSecret, time.Hour, expiresAt.Add(5*time.Second)).Parse(flaskTokenStrSub); err != nil {
		t.Fatalf("Parse within leeway: %v", err)
	}
	_, err := tokensAt(flaskSecret, time.Hour, expiresAt.Add(time.Minute)).Parse(flaskTokenStrSub)
	if !errors.Is(err, ErrTokenExpired) || errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("Parse expired = %v; want ErrTokenExpired only", err)
	}
	if err.Error() != "token expired" {
		t.Fatalf("message = %q; want %q", err.Error(), "token expired")
	}
}

func TestTokensParseMissing(t *testing.T) {
	for _, token := range []string{"", "   "} {
		if _, err := flaskTokens().Parse(token); !errors.Is(err, ErrTokenMissing) {
			t.Errorf("Parse(%q) = %v; want ErrTokenMissing", token, err)
		}
	}
}

func TestTokensParseWithEmptySecretRejectsEverything(t *testing.T) {
	unsigned := tokensAt("", time.Hour, time.Unix(flaskIssuedAtUnix, 0))
	forged, err := jwt.NewWithClaims(jwt.SigningMethodHS256, flaskClaims("42")).SignedString([]byte{0})
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	wantInvalid(t, unsigned, forged)
}

func TestTokensConcurrentUse(t *testing.T) {
	tokens := NewTokens([]byte("shared"), time.Minute)
	done := make(chan error, 8)
	for i := range 8 {
		go func() {
			token, err := tokens.Issue(int64(i+1), "u")
			if err == nil {
				var claims Claims
				claims, err = tokens.Parse(token)
				if err == nil && claims.UserID != int64(i+1) {
					err = errors.New("wrong user id")
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestBearerToken(t *testing.T) {
	cases := map[string]string{
		"Bearer abc.def":     "abc.def",
		"bearer abc":         "abc",
		"BEARER   abc  ":     "abc",
		"  Bearer abc":       "abc",
		"abc":                "abc",
		"":                   "",
		"Bearer ":            "",
		"Bearer":             "",
		"bearer\t":           "",
		"Basic dXNlcjpwYXNz": "Basic dXNlcjpwYXNz",
	}
	for header, want := range cases {
		if got := BearerToken(header); got != want {
			t.Errorf("BearerToken(%q) = %q; want %q", header, got, want)
		}
	}
}

// The token generation travels in token_gen; tokens without it (Flask's, and ours issued
// for generation 0) are generation 0, and a malformed one is refused.
func TestTokenGenerationClaim(t *testing.T) {
	tokens := flaskTokens()
	for gen, want := range map[int64]int64{0: 0, 3: 3} {
		signed, err := tokens.IssueGeneration(42, "u", gen)
		if err != nil {
			t.Fatal(err)
		}
		claims, err := tokens.Parse(signed)
		if err != nil || claims.Generation != want {
			t.Fatalf("generation %d: Parse = %+v, %v", gen, claims, err)
		}
	}
	if claims, err := tokens.Parse(flaskTokenStrSub); err != nil || claims.Generation != 0 {
		t.Fatalf("Flask token: Parse = %+v, %v; want generation 0", claims, err)
	}
	for _, bad := range []any{"1", -1, 1.5, true} {
		c := flaskClaims("42")
		c["token_gen"] = bad
		wantInvalid(t, tokens, signMap(t, c))
	}
}
