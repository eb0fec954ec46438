package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Token errors. Their messages are shown to clients; wrapped errors keep errors.Is working.
var (
	ErrTokenMissing = errors.New("token missing")
	ErrTokenExpired = errors.New("token expired")
	ErrTokenInvalid = errors.New("invalid token")
)

const (
	tokenLeeway       = 10 * time.Second
	accessTokenType   = "access"
	maxTokenLength    = 8 << 10 // far above any real token; bounds work spent on junk headers
	signingMethodName = "HS256"
	// generationClaim carries the user's token generation (see Claims.Generation).
	generationClaim = "token_gen"
)

// Tokens issues and verifies HS256 access tokens with the claims Flask-JWT-Extended uses.
type Tokens struct {
	secret   []byte
	ttl      time.Duration
	now      func() time.Time
	verified verifiedTokens // tokens that passed Parse (verified.go)
}

// NewTokens returns a Tokens signing with secret; issued tokens live for ttl.
func NewTokens(secret []byte, ttl time.Duration) *Tokens {
	return &Tokens{secret: append([]byte(nil), secret...), ttl: ttl, now: time.Now,
		verified: verifiedTokens{max: maxVerifiedTokens}}
}

// Claims is what a valid access token says.
type Claims struct {
	UserID    int64
	Username  string
	JTI       string
	ExpiresAt time.Time
	// Generation is the user's token generation when the token was issued: a password
	// change moves the user's generation on, and a token of an older one is refused. Tokens
	// without the claim (Flask-JWT-Extended's, and ours before any password change) are 0.
	Generation int64
}

// Issue mints an access token for the user: sub (decimal string), type, jti, iat, nbf, exp,
// fresh=false and username, as Flask-JWT-Extended 4 does (plus username).
func (t *Tokens) Issue(userID int64, username string) (string, error) {
	return t.IssueGeneration(userID, username, 0)
}

// IssueGeneration is Issue for a user whose token generation is generation (the claim
// token_gen, left out when 0 so such tokens are exactly what Issue always made).
func (t *Tokens) IssueGeneration(userID int64, username string, generation int64) (string, error) {
	if len(t.secret) == 0 {
		return "", errors.New("issue token: secret is empty")
	}
	if t.ttl <= 0 {
		return "", errors.New("issue token: ttl must be positive")
	}
	now := t.now()
	claims := jwt.MapClaims{
		"sub":      strconv.FormatInt(userID, 10),
		"type":     accessTokenType,
		"jti":      uuid.NewString(),
		"iat":      now.Unix(),
		"nbf":      now.Unix(),
		"exp":      now.Add(t.ttl).Unix(),
		"fresh":    false,
		"username": username,
	}
	if generation != 0 {
		claims[generationClaim] = generation
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.secret)
	if err != nil {
		return "", fmt.Errorf("issue token: %w", err)
	}
	return signed, nil
}

// Parse verifies an access token (HS256 only, exp required, nbf honoured, 10 s leeway) and
// returns its claims. Errors wrap ErrTokenMissing, ErrTokenExpired or ErrTokenInvalid.
func (t *Tokens) Parse(token string) (Claims, error) {
	token = strings.TrimSpace(token)
	switch {
	case token == "":
		return Claims{}, ErrTokenMissing
	case len(token) > maxTokenLength:
		return Claims{}, invalidToken("too long")
	case len(t.secret) == 0:
		return Claims{}, invalidToken("server has no signing secret")
	}
	if c, ok, err := t.verified.get(token, t.now()); ok {
		return c, err
	}
	c, err := t.parse(token)
	if err == nil {
		t.verified.put(token, c)
	}
	return c, err
}

// parse is Parse without the memory of verified tokens.
func (t *Tokens) parse(token string) (Claims, error) {
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{signingMethodName}),
		jwt.WithLeeway(tokenLeeway),
		jwt.WithTimeFunc(t.now),
		jwt.WithExpirationRequired(),
		jwt.WithJSONNumber(), // keeps integer subs exact instead of float64
	)
	mapClaims := jwt.MapClaims{}
	_, err := parser.ParseWithClaims(token, mapClaims, func(*jwt.Token) (any, error) {
		return t.secret, nil
	})
	if err != nil {
		return Claims{}, classifyParseError(err)
	}
	return claimsFromMap(mapClaims)
}

func classifyParseError(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return ErrTokenExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return invalidToken("not valid yet")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return invalidToken("bad signature or signing method")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return invalidToken("missing exp")
	case errors.Is(err, jwt.ErrTokenMalformed):
		return invalidToken("malformed")
	default:
		// jwt error texts never contain the key; they name the failing check.
		return fmt.Errorf("%w: %v", ErrTokenInvalid, err)
	}
}

func claimsFromMap(m jwt.MapClaims) (Claims, error) {
	if typ, present := m["type"]; present && typ != accessTokenType {
		return Claims{}, invalidToken("not an access token")
	}
	subject, present := m["sub"]
	if !present {
		// Flask-JWT-Extended before 4.0 put the identity in "identity".
		subject, present = m["identity"]
	}
	if !present {
		return Claims{}, invalidToken("missing subject")
	}
	userID, err := userIDFromSubject(subject)
	if err != nil {
		return Claims{}, err
	}
	username, err := optionalString(m, "username")
	if err != nil {
		return Claims{}, err
	}
	jti, err := optionalString(m, "jti")
	if err != nil {
		return Claims{}, err
	}
	exp, err := m.GetExpirationTime()
	if err != nil || exp == nil {
		return Claims{}, invalidToken("bad exp")
	}
	generation, err := optionalGeneration(m)
	if err != nil {
		return Claims{}, err
	}
	return Claims{UserID: userID, Username: username, JTI: jti, ExpiresAt: exp.Time, Generation: generation}, nil
}

func optionalGeneration(m jwt.MapClaims) (int64, error) {
	value, present := m[generationClaim]
	if !present {
		return 0, nil
	}
	number, ok := value.(json.Number)
	if !ok {
		return 0, invalidToken(generationClaim + " is not a number")
	}
	n, err := number.Int64()
	if err != nil || n < 0 {
		return 0, invalidToken(generationClaim + " is not a generation")
	}
	return n, nil
}

// userIDFromSubject accepts a positive integer given as a JSON number (old tokens) or as a
// decimal string (new tokens).
func userIDFromSubject(subject any) (int64, error) {
	var text string
	switch v := subject.(type) {
	case json.Number:
		text = v.String()
	case string:
		text = v
	default:
		return 0, invalidToken("subject is not a user id")
	}
	if text == "" || strings.TrimLeft(text, "0123456789") != "" {
		return 0, invalidToken("subject is not a user id")
	}
	id, err := strconv.ParseInt(text, 10, 64)
	if err != nil || id <= 0 {
		return 0, invalidToken("subject is not a user id")
	}
	return id, nil
}

func optionalString(m jwt.MapClaims, key string) (string, error) {
	value, present := m[key]
	if !present {
		return "", nil
	}
	text, ok := value.(string)
	if !ok {
		return "", invalidToken(key + " is not a string")
	}
	return text, nil
}

func invalidToken(reason string) error {
	return fmt.Errorf("%w: %s", ErrTokenInvalid, reason)
}
