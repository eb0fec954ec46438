package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// api is the REST subset the generator uses to set a run up.
type api struct {
	base string // http://host:port
	http *http.Client
}

func newAPI(base string) *api {
	return &api{
		base: strings.TrimRight(base, "/"),
		http: &http.Client{
			Timeout:   60 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64},
		},
	}
}

func (a *api) do(ctx context.Context, method, path, token string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: read: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: status %d: %.200s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

type session struct {
	AccessToken string `json:"access_token"`
	UserID      int64  `json:"user_id"`
}

// account registers a user, or logs in when the name is taken (a rerun).
func (a *api) account(ctx context.Context, name string) (string, error) {
	const password = "bench-password-123"
	var s session
	status, err := a.do(ctx, http.MethodPost, "/api/users/register", "", map[string]string{
		"username": name, "email": name + "@bench.example", "password": password, "full_name": "Bench " + name,
	}, &s)
	if status == http.StatusConflict {
		_, err = a.do(ctx, http.MethodPost, "/api/users/login", "", map[string]string{"username": name, "password": password}, &s)
	}
	if err != nil {
		return "", err
	}
	if s.AccessToken == "" {
		return "", fmt.Errorf("account %s: no access_token in answer", name)
	}
	return s.AccessToken, nil
}

// accounts creates n users, a few at a time (password hashing is slow on purpose).
func (a *api) accounts(ctx context.Context, prefix string, n int) ([]string, error) {
	tokens := make([]string, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			tokens[i], errs[i] = a.account(ctx, fmt.Sprintf("%su%d", prefix, i))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return tokens, nil
}

// rooms creates n public rooms owned by the first user and returns their ids.
func (a *api) rooms(ctx context.Context, token, prefix string, n int) ([]int64, error) {
	ids := make([]int64, n)
	for i := range n {
		var r struct {
			ID int64 `json:"id"`
		}
		if _, err := a.do(ctx, http.MethodPost, "/api/rooms", token, map[string]any{
			"name": fmt.Sprintf("%s-room-%d", prefix, i), "description": "bench", "is_private": false,
		}, &r); err != nil {
			return nil, err
		}
		if r.ID == 0 {
			return nil, fmt.Errorf("create room: no id in answer")
		}
		ids[i] = r.ID
	}
	return ids, nil
}
