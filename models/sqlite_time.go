package models

import (
	"fmt"
	"strings"
	"time"
)

// SQLite keeps times as text. glebarez/go-sqlite parses every DATETIME column
// it returns by trying a list of layouts one after another (the first one
// never matches what it writes itself), which was an eighth of a history
// request's CPU. The history query therefore selects created_at as plain text
// (sqliteCreatedAt) and parses it here: the layouts the driver writes and
// Flask-SQLAlchemy wrote take one pass; anything else goes through the driver's
// layouts, so the result is the same.

// sqliteCreatedAt selects created_at without its declared type, so the driver
// returns the text as it is.
const sqliteCreatedAt = "CAST(messages.created_at AS TEXT)"

// timeScanner scans a time that arrives as a time.Time (PostgreSQL) or as
// SQLite's text.
type timeScanner struct{ t *time.Time }

func (s timeScanner) Scan(v any) error {
	switch v := v.(type) {
	case time.Time:
		*s.t = v
		return nil
	case string:
		return s.parse(v)
	case []byte:
		return s.parse(string(v))
	default:
		return fmt.Errorf("scan time: unsupported value %T", v)
	}
}

func (s timeScanner) parse(text string) error {
	t, ok := parseSQLiteTime(text)
	if !ok {
		return fmt.Errorf("scan time: unrecognised time %q", text)
	}
	*s.t = t
	return nil
}

// driverTimeLayouts are the layouts glebarez/go-sqlite tries, in its order,
// after a trailing "Z" is cut off, and the Time.String layout it tries first.
var driverTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

const timeStringLayout = "2006-01-02 15:04:05.999999999 -0700 MST"

// parseSQLiteTime reads a time as the driver would.
func parseSQLiteTime(s string) (time.Time, bool) {
	if t, ok := parseCommonTime(s); ok {
		return t, true
	}
	ts := s
	if i := strings.Index(ts, "m="); i > 0 {
		ts = ts[:i]
	}
	if t, err := time.Parse(timeStringLayout, strings.TrimSpace(ts)); err == nil {
		return t, true
	}
	ts = strings.TrimSuffix(s, "Z")
	for _, layout := range driverTimeLayouts {
		if t, err := time.ParseInLocation(layout, ts, time.UTC); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseCommonTime reads "YYYY-MM-DD HH:MM:SS" ('T' or ' ' between), an
// optional fraction of 1 to 9 digits, then nothing (UTC), "Z" or "±HH:MM".
// It reports false for anything else.
func parseCommonTime(s string) (time.Time, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	second, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(time.Month(month), year) || hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, false
	}
	rest := s[19:]
	nanos := 0
	if len(rest) > 0 && rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 || n > 10 {
			return time.Time{}, false
		}
		frac, _ := digits(rest[1:n])
		for range 10 - n {
			frac *= 10
		}
		nanos, rest = frac, rest[n:]
	}
	loc := time.UTC
	switch {
	case rest == "" || rest == "Z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		h, okh := digits(rest[1:3])
		m, okm := digits(rest[4:6])
		if !okh || !okm || h > 24 || m > 59 {
			return time.Time{}, false
		}
		offset := h*3600 + m*60
		if rest[0] == '-' {
			offset = -offset
		}
		if offset != 0 {
			loc = time.FixedZone("", offset)
		}
	default:
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, second, nanos, loc), true
}

// digits reads a run of decimal digits.
func digits(s string) (int, bool) {
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
