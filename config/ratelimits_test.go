package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRequestRatesDefaults(t *testing.T) {
	cfg := mustLoad(t, map[string]string{})
	want := RequestRates{
		LoginPerIP:         Rate{60, time.Minute},
		LoginPerAccount:    Rate{10, time.Minute},
		RegisterPerIP:      Rate{50, time.Hour},
		RegisterPerAccount: Rate{10, time.Hour},
		PostPerUser:        Rate{30, 10 * time.Second},
		UploadPerUser:      Rate{30, time.Minute},
		SearchPerUser:      Rate{60, time.Minute},
		ConnectPerIP:       Rate{300, time.Minute},
		MaxKeys:            100_000,
	}
	if !reflect.DeepEqual(cfg.Rates, want) {
		t.Fatalf("Rates = %+v, want %+v", cfg.Rates, want)
	}
	// The start-up log says which limits are in force.
	if got := cfg.Redacted()["rates"].(map[string]any)["login_per_account"]; got != "10/1m0s" {
		t.Errorf("Redacted rates login_per_account = %v", got)
	}
	// What the Angular app does stays far inside them: posting at typing speed
	// from several tabs (one message a second at most), a reconnect per tab.
	if per := cfg.Rates.PostPerUser.Per / time.Duration(cfg.Rates.PostPerUser.Burst); per > time.Second/2 {
		t.Errorf("sustained posting %v per message: slower than a fast typist", per)
	}
	if cfg.Rates.PostPerUser.Burst < cfg.MaxFiles {
		t.Errorf("posting burst %d is below MAX_FILES %d: one multi-file upload to a room would be refused", cfg.Rates.PostPerUser.Burst, cfg.MaxFiles)
	}
}

func TestRequestRatesOverrides(t *testing.T) {
	cfg := mustLoad(t, map[string]string{
		"LOGIN_RATE_PER_IP": "5/30s", "LOGIN_RATE_PER_ACCOUNT": "3/60", "REGISTER_RATE_PER_IP": "2/1h",
		"REGISTER_RATE_PER_ACCOUNT": " 4 / 2h ", "POST_RATE_PER_USER": "1000000/1s", "UPLOAD_RATE_PER_USER": "7/1m",
		"SEARCH_RATE_PER_USER": "11/1m", "CONNECT_RATE_PER_IP": "9/10s", "RATE_LIMIT_MAX_KEYS": "500",
	})
	r := cfg.Rates
	for name, c := range map[string][2]Rate{
		"LoginPerIP": {r.LoginPerIP, {5, 30 * time.Second}}, "LoginPerAccount": {r.LoginPerAccount, {3, time.Minute}},
		"RegisterPerIP": {r.RegisterPerIP, {2, time.Hour}}, "RegisterPerAccount": {r.RegisterPerAccount, {4, 2 * time.Hour}},
		"PostPerUser": {r.PostPerUser, {1_000_000, time.Second}}, "UploadPerUser": {r.UploadPerUser, {7, time.Minute}},
		"SearchPerUser": {r.SearchPerUser, {11, time.Minute}}, "ConnectPerIP": {r.ConnectPerIP, {9, 10 * time.Second}},
	} {
		if c[0] != c[1] {
			t.Errorf("%s = %v, want %v", name, c[0], c[1])
		}
	}
	if r.MaxKeys != 500 {
		t.Errorf("MaxKeys = %d", r.MaxKeys)
	}
	// Rate limits use the edge's client address (TRUSTED_PROXIES), which off
	// Render trusts no proxy by default.
	if len(mustLoad(t, map[string]string{}).HTTP.TrustedProxies) != 0 {
		t.Error("X-Forwarded-For believed by default: any client could choose its address")
	}
}

func TestRequestRatesBadValues(t *testing.T) {
	for _, kv := range [][2]string{
		{"LOGIN_RATE_PER_IP", "10"}, {"LOGIN_RATE_PER_ACCOUNT", "0/1m"}, {"REGISTER_RATE_PER_IP", "-1/1m"},
		{"REGISTER_RATE_PER_ACCOUNT", "5/soon"}, {"POST_RATE_PER_USER", "5/0s"}, {"UPLOAD_RATE_PER_USER", "1.5/1m"},
		{"CONNECT_RATE_PER_IP", "5/1m/2"}, {"CONNECT_RATE_PER_IP", "2000000000/1ns"}, {"RATE_LIMIT_MAX_KEYS", "0"},
	} {
		_, err := load(t, map[string]string{kv[0]: kv[1]})
		if err == nil || !strings.Contains(err.Error(), kv[0]) {
			t.Errorf("%s=%q: error %v, want one naming the variable", kv[0], kv[1], err)
		}
	}
}
