package wiring

import (
	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/config"
)

// rateLimits are the configured request rates as the domain's rules.
func rateLimits(r config.RequestRates) chat.RateLimits {
	rule := func(r config.Rate) chat.Rule { return chat.Rule{Burst: r.Burst, Per: r.Per} }
	return chat.RateLimits{
		LoginPerIP:         rule(r.LoginPerIP),
		LoginPerAccount:    rule(r.LoginPerAccount),
		RegisterPerIP:      rule(r.RegisterPerIP),
		RegisterPerAccount: rule(r.RegisterPerAccount),
		PostPerUser:        rule(r.PostPerUser),
		UploadPerUser:      rule(r.UploadPerUser),
		SearchPerUser:      rule(r.SearchPerUser),
		ConnectPerIP:       rule(r.ConnectPerIP),
	}
}

// limiter counts the rates: shared through Redis in a cluster (falling back to
// this instance's own count while Redis fails), else in this process.
func limiter(cfg config.Config, cl clusterPart) chat.Limiter {
	if cl.rateLimiter != nil {
		return cl.rateLimiter
	}
	return chat.NewLocalLimiter(cfg.Rates.MaxKeys)
}
