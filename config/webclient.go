package config

import "strings"

// loadWebClient reads WEB_CLIENT: the browser client served at / is on unless
// it is turned off (off, false, 0, no). Anything else is refused, so a typo does
// not leave it on by surprise.
func loadWebClient(e *env) (bool, error) {
	v := strings.ToLower(strings.TrimSpace(e.get("WEB_CLIENT")))
	switch v {
	case "", "on", "true", "1", "yes":
		return true, nil
	case "off", "false", "0", "no":
		return false, nil
	}
	return false, invalid("WEB_CLIENT", v, "on or off")
}
