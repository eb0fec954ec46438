package storage

import (
	"context"
	"fmt"
	"net/http"
)

// Check asks the Storage API for the bucket (GET /bucket/<bucket>, what
// storage-go's GetBucket sends) through the library's Do with our deadline:
// reachable, the key valid, the bucket there.
func (s *Supabase) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeoutCause(ctx, s.timeout, errDeadline)
	defer cancel()
	c := s.client("")
	req, err := c.NewRequest(http.MethodGet, s.api+"/bucket/"+s.bucket, nil)
	if err != nil {
		return fmt.Errorf("supabase bucket %q: %w", s.bucket, err)
	}
	if err := s.do(ctx, c, req.WithContext(ctx)); err != nil {
		return fmt.Errorf("supabase bucket %q: %w", s.bucket, err)
	}
	return nil
}
