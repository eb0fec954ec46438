package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

type gormLogger struct {
	log  *slog.Logger
	slow time.Duration
}

func (l *gormLogger) LogMode(logger.LogLevel) logger.Interface { return l }

// Info, Warn and Error take a format and its arguments, as GORM calls them.
func (l *gormLogger) Info(ctx context.Context, msg string, args ...any) {
	l.log.DebugContext(ctx, "gorm", "msg", fmt.Sprintf(msg, args...))
}

func (l *gormLogger) Warn(ctx context.Context, msg string, args ...any) {
	l.log.WarnContext(ctx, "gorm", "msg", fmt.Sprintf(msg, args...))
}

func (l *gormLogger) Error(ctx context.Context, msg string, args ...any) {
	l.log.ErrorContext(ctx, "gorm", "msg", fmt.Sprintf(msg, args...))
}

// ParamsFilter is GORM's hook for the values it would write into the SQL it hands Trace:
// dropping them all leaves the statement with its placeholders (? or $n). Values are user
// data (password hashes, emails, message bodies) and never belong in a log.
func (l *gormLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

// Trace logs failed and slow queries. Not-found and duplicate-key results are
// expected outcomes the domain handles, so they are not errors here.
func (l *gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	switch {
	case err != nil && !errors.Is(err, gorm.ErrRecordNotFound) && !errors.Is(err, gorm.ErrDuplicatedKey) && !errors.Is(err, context.Canceled):
		sql, _ := fc()
		l.log.ErrorContext(ctx, "query failed", "err", err, "elapsed", elapsed, "sql", truncate(sql, 300))
	case elapsed > l.slow:
		sql, rows := fc()
		l.log.WarnContext(ctx, "slow query", "elapsed", elapsed, "rows", rows, "sql", truncate(sql, 300))
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
