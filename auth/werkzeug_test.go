package auth

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Vectors written by Werkzeug 3.1.8 generate_password_hash (and hashlib where noted) when these
// tests were written.
const horse = "correct horse battery staple"

var werkzeugVectors = []struct {
	name, password, stored string
}{
	{"scrypt default (werkzeug 3.x)", horse, "scrypt:32768:8:1$AfvGGdVWO2aXIl0e$4ae47e09e04bd6151c5e56b8d2656097c236de0d6a55e7c1621114eb71285c302c80b89b048a4430c2a1492ba40c6a37bd0c8a94a767bc3266f9732e09228093"},
	{"scrypt 16384", horse, "scrypt:16384:8:1$Th4gJj1Gt8C9w5k3$193ccc5d721234c2106f83068f8bfa5ab9caacefcb2b891eeab125fdd953013ee0fd35939d08ae5132c94556dfbf8dc712235830a568ac03200c672cf93ca544"},
	{"scrypt unicode password", "pässwörd ✓", "scrypt:1024:8:1$OuImfToPRsn2yrEE$796842ef9312645faee75c09025174471b1edae8b279c11f59bccf47f7ce86de7662fb509555c3cfb2b07ae65c59d6723f53529d65cb913c76932c6fe69180a4"},
	// hashlib.scrypt(b"secret", salt="sälz".encode(), n=32768, r=8, p=1, dklen=64): non-ASCII salt text.
	{"scrypt hashlib utf-8 salt", "secret", "scrypt:32768:8:1$sälz$3b02601d054c730848d86354e2ab135cd96aa38fcfac7990520e64614caeca11d52f7b5d5eb14440b2725a22f5727c66ad42eee27dece9fe2b7680510a42e56b"},
	{"pbkdf2 default (werkzeug 3.1)", horse, "pbkdf2:sha256:1000000$nlhBHydlQIiswBY8$80f3fb977cd82cf60141de3777e578bb3142ea9d04ee66831b19ae7c9fd2cc08"},
	{"pbkdf2 600000 (werkzeug 2.3-3.0)", horse, "pbkdf2:sha256:600000$xmbjQingzv1BbRRC$656bde21775a80ad8659436f85480f11d2a6950040f1d6664bcc6bb9b5e90ed6"},
	{"pbkdf2 260000 (werkzeug 2.0-2.2)", horse, "pbkdf2:sha256:260000$5dBygjBQk8ZDFu2M$04ba23248029443d0a5fafaf4fa81417eed00929927657522b7dc4aaea0c897f"},
	{"pbkdf2 sha512", horse, "pbkdf2:sha512:1000$LCZYeexlVyde7BkD$bbb3e6968da04ea4baf7f8a521c4b7a1b651fd28e9d408a9407da9afebe3b3c45aadff72770464a5df87c8b2ad5947560db5319c9eb093f72820fb3bdc6e433c"},
	{"pbkdf2 sha1", horse, "pbkdf2:sha1:1000$SEnugCrJ1fNuuhwE$6e2a893c3ad6fe6a9a04657c60750995aee64d78"},
	{"pbkdf2 unicode password", "pässwörd ✓", "pbkdf2:sha256:1000$edKY7Y0SOXuDruvs$a069972bc09998c4dc529ff8d39efb320a41d1159807ac301d5462a30a4752ef"},
	{"pbkdf2 empty password", "", "pbkdf2:sha256:1000$eoZuNa18lNDX1z1e$c7b317e7f94d25c11edb09d2f85dde045fe8c8ebc445d8583d6c39ce17bb123b"},
	// hashlib.pbkdf2_hmac("sha256", b"secret", b"NaCl", 260000).
	{"pbkdf2 hashlib", "secret", "pbkdf2:sha256:260000$NaCl$295b4b00ee452267eed93bd289f2d5166b1488daa49a5d9cd201ca885a2a9c2c"},
	// No iteration count: Werkzeug 2.3-3.0 would use its default 600000 (hashlib vector).
	{"pbkdf2 without iterations", "legacy", "pbkdf2:sha256$abc$1179a64b11036835d8e55978c22e6efa0b2d0b2ea6b03be80a0b4e9be87262b8"},
}

func TestVerifyPasswordWerkzeugVectors(t *testing.T) {
	for _, v := range werkzeugVectors {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			ok, upgrade, err := VerifyPassword(v.stored, v.password)
			if !ok || !upgrade || err != nil {
				t.Fatalf("right password: got %v, %v, %v; want true, true, nil", ok, upgrade, err)
			}
			ok, upgrade, err = VerifyPassword(v.stored, v.password+"x")
			if ok || upgrade || err != nil {
				t.Fatalf("wrong password: got %v, %v, %v; want false, false, nil", ok, upgrade, err)
			}
		})
	}
}

func TestVerifyPasswordWerkzeugUppercaseHexAccepted(t *testing.T) {
	stored := "pbkdf2:sha256:1000$edKY7Y0SOXuDruvs$" + strings.ToUpper("a069972bc09998c4dc529ff8d39efb320a41d1159807ac301d5462a30a4752ef")
	if ok, _, err := VerifyPassword(stored, "pässwörd ✓"); !ok || err != nil {
		t.Fatalf("got %v, %v; want true, nil", ok, err)
	}
}

func TestVerifyPasswordMalformedWerkzeug(t *testing.T) {
	const hex32 = "c7b317e7f94d25c11edb09d2f85dde045fe8c8ebc445d8583d6c39ce17bb123b"
	const hex64 = hex32 + hex32
	cases := map[string]string{
		"no dollar":               "pbkdf2:sha256:1000",
		"one dollar":              "pbkdf2:sha256:1000$salt",
		"empty digest":            "pbkdf2:sha256:1000$salt$",
		"bad hex":                 "pbkdf2:sha256:1000$salt$zz" + hex32[2:],
		"odd hex":                 "pbkdf2:sha256:1000$salt$" + hex32[1:],
		"short digest":            "pbkdf2:sha256:1000$salt$abcd",
		"zero iterations":         "pbkdf2:sha256:0$salt$" + hex32,
		"negative iterations":     "pbkdf2:sha256:-5$salt$" + hex32,
		"absurd iterations":       "pbkdf2:sha256:10000001$salt$" + hex32,
		"overflowing iterations":  "pbkdf2:sha256:99999999999999999999999$salt$" + hex32,
		"text iterations":         "pbkdf2:sha256:many$salt$" + hex32,
		"too many pbkdf2 args":    "pbkdf2:sha256:1000:1$salt$" + hex32,
		"missing pbkdf2 hash":     "pbkdf2::1000$salt$" + hex32,
		"unknown pbkdf2 hash":     "pbkdf2:md5:1000$salt$" + hex32,
		"unknown method":          "pbkdf3:sha256:1000$salt$" + hex32,
		"scrypt n not power of 2": "scrypt:1000:8:1$salt$" + hex64,
		"scrypt n one":            "scrypt:1:8:1$salt$" + hex64,
		"scrypt n zero":           "scrypt:0:8:1$salt$" + hex64,
		"scrypt huge memory":      "scrypt:1048576:32:1$salt$" + hex64,
		"scrypt huge n":           "scrypt:1099511627776:8:1$salt$" + hex64,
		"scrypt huge p":           "scrypt:16384:8:100000$salt$" + hex64,
		"scrypt r zero":           "scrypt:16384:0:1$salt$" + hex64,
		"scrypt two args":         "scrypt:16384:8$salt$" + hex64,
		"scrypt short digest":     "scrypt:16384:8:1$salt$" + hex32,
	}
	for name, stored := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			ok, upgrade, err := VerifyPassword(stored, "pw")
			if ok || upgrade || err == nil {
				t.Fatalf("VerifyPassword(%q) = %v, %v, %v; want false, false, error", stored, ok, upgrade, err)
			}
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Fatalf("rejecting %q took %v; parameters must be checked before work", stored, elapsed)
			}
		})
	}
}

// TestVerifyPasswordFreshPythonVectors asks the local python3 for new hashes, in Werkzeug's own
// format when werkzeug is importable and with hashlib otherwise.
func TestVerifyPasswordFreshPythonVectors(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH")
	}
	const password = "fresh pässwörd"
	script := fmt.Sprintf(`
import hashlib, secrets
pw = %q
salt = secrets.token_hex(8)
try:
    from werkzeug.security import generate_password_hash as g
    print(g(pw, method="pbkdf2:sha256:20000"))
    print(g(pw, method="scrypt:16384:8:1"))
except ImportError:
    print("pbkdf2:sha256:20000$" + salt + "$" + hashlib.pbkdf2_hmac("sha256", pw.encode(), salt.encode(), 20000).hex())
    print("scrypt:16384:8:1$" + salt + "$" + hashlib.scrypt(pw.encode(), salt=salt.encode(), n=16384, r=8, p=1, maxmem=64*1024*1024, dklen=64).hex())
`, password)
	out, err := exec.Command(python, "-c", script).Output()
	if err != nil {
		t.Skipf("python3 could not generate vectors: %v", err)
	}
	lines := strings.Fields(strings.TrimSpace(string(out)))
	if len(lines) != 2 {
		t.Fatalf("python3 printed %q; want two hashes", out)
	}
	for _, stored := range lines {
		ok, upgrade, err := VerifyPassword(stored, password)
		if !ok || !upgrade || err != nil {
			t.Errorf("VerifyPassword(%q) = %v, %v, %v; want true, true, nil", stored, ok, upgrade, err)
		}
		if ok, _, _ := VerifyPassword(stored, "fresh password"); ok {
			t.Errorf("VerifyPassword(%q) accepted a wrong password", stored)
		}
	}
}
