package config

import (
	"strconv"
	"strings"
	"time"
)

// Rate is a rate limit: Burst events at once, refilled evenly over Per. Read
// from "N/period" ("10/1m": 10 at once, then one every 6 s).
type Rate struct {
	Burst int
	Per   time.Duration
}

func (r Rate) String() string { return strconv.Itoa(r.Burst) + "/" + r.Per.String() }

// RequestRates limits what one client may make the server do. The defaults are
// far above what a person using the app does (a login now and then, messages at
// typing speed, a reconnect per tab after a deploy), several tabs and a shared
// office address included, and far below what a script needs to guess
// passwords or flood a room.
type RequestRates struct {
	LoginPerIP         Rate // LOGIN_RATE_PER_IP, default 60/1m
	LoginPerAccount    Rate // LOGIN_RATE_PER_ACCOUNT, default 10/1m (by the email or username sent)
	RegisterPerIP      Rate // REGISTER_RATE_PER_IP, default 50/1h
	RegisterPerAccount Rate // REGISTER_RATE_PER_ACCOUNT, default 10/1h (by username and by email)
	PostPerUser        Rate // POST_RATE_PER_USER, default 30/10s: messages through every door together
	UploadPerUser      Rate // UPLOAD_RATE_PER_USER, default 30/1m: upload requests
	SearchPerUser      Rate // SEARCH_RATE_PER_USER, default 60/1m: message searches (a search-as-you-type box included)
	ConnectPerIP       Rate // CONNECT_RATE_PER_IP, default 300/1m: new Socket.IO sessions and raw WebSockets
	// MaxKeys bounds the in-process limiter's memory (RATE_LIMIT_MAX_KEYS,
	// default 100000 keys, about 200 bytes each).
	MaxKeys int
}

func loadRequestRates(e *env) (RequestRates, error) {
	var r RequestRates
	for _, f := range []struct {
		key string
		def Rate
		dst *Rate
	}{
		{"LOGIN_RATE_PER_IP", Rate{60, time.Minute}, &r.LoginPerIP},
		{"LOGIN_RATE_PER_ACCOUNT", Rate{10, time.Minute}, &r.LoginPerAccount},
		{"REGISTER_RATE_PER_IP", Rate{50, time.Hour}, &r.RegisterPerIP},
		{"REGISTER_RATE_PER_ACCOUNT", Rate{10, time.Hour}, &r.RegisterPerAccount},
		{"POST_RATE_PER_USER", Rate{30, 10 * time.Second}, &r.PostPerUser},
		{"UPLOAD_RATE_PER_USER", Rate{30, time.Minute}, &r.UploadPerUser},
		{"SEARCH_RATE_PER_USER", Rate{60, time.Minute}, &r.SearchPerUser},
		{"CONNECT_RATE_PER_IP", Rate{300, time.Minute}, &r.ConnectPerIP},
	} {
		v, err := e.rate(f.key, f.def)
		if err != nil {
			return RequestRates{}, err
		}
		*f.dst = v
	}
	var err error
	if r.MaxKeys, err = e.positiveInt("RATE_LIMIT_MAX_KEYS", 100_000); err != nil {
		return RequestRates{}, err
	}
	return r, nil
}

// rate reads "N/period": a positive count and a positive duration (seconds or
// a Go duration).
func (e *env) rate(key string, fallback Rate) (Rate, error) {
	v := e.get(key)
	if v == "" {
		return fallback, nil
	}
	count, period, ok := strings.Cut(v, "/")
	n, err := strconv.Atoi(strings.TrimSpace(count))
	d, dok := parseDuration(strings.TrimSpace(period), time.Second)
	if !ok || err != nil || n <= 0 || !dok || d <= 0 || d/time.Duration(n) <= 0 {
		return Rate{}, invalid(key, v, `a rate "N/period" such as "10/1m"`)
	}
	return Rate{Burst: n, Per: d}, nil
}
