package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStorageBackendIsChosenByItsVariables(t *testing.T) {
	creds := filepath.Join(t.TempDir(), "sa.json")
	if err := os.WriteFile(creds, []byte(`{"type":"service_account"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg := mustLoad(t, map[string]string{}); cfg.Storage != StorageLocal {
		t.Errorf("nothing set: storage %q", cfg.Storage)
	}
	if cfg := mustLoad(t, map[string]string{"SUPABASE_URL": "https://x.supabase.co", "SUPABASE_KEY": "k"}); cfg.Storage != StorageSupabase {
		t.Errorf("SUPABASE_URL: storage %q", cfg.Storage)
	}
	cfg := mustLoad(t, map[string]string{"GCS_BUCKET_NAME": "izpo-files", "GOOGLE_APPLICATION_CREDENTIALS": creds, "UPLOAD_TIMEOUT": "90s"})
	if cfg.Storage != StorageGCS || cfg.GCS != (GCS{Bucket: "izpo-files", CredentialsFile: creds, Timeout: 90 * time.Second}) {
		t.Errorf("GCS: %q %+v", cfg.Storage, cfg.GCS)
	}
	// Application-default credentials: no file is needed.
	if cfg := mustLoad(t, map[string]string{"GCS_BUCKET_NAME": "b", "GCS_ENDPOINT": "http://127.0.0.1:4443/storage/v1/"}); cfg.GCS.CredentialsFile != "" || cfg.GCS.Endpoint != "http://127.0.0.1:4443/storage/v1" {
		t.Errorf("GCS with ADC: %+v", cfg.GCS)
	}
	cfg = mustLoad(t, map[string]string{"S3_BUCKET": "files", "S3_ENDPOINT": "https://acc.r2.cloudflarestorage.com/", "S3_REGION": "auto",
		"S3_ACCESS_KEY_ID": "AKID", "S3_SECRET_ACCESS_KEY": "s3cret", "S3_FORCE_PATH_STYLE": "true", "S3_PUBLIC_URL": "https://files.example"})
	want := S3{Bucket: "files", Endpoint: "https://acc.r2.cloudflarestorage.com", Region: "auto", AccessKeyID: "AKID", SecretAccessKey: "s3cret",
		ForcePathStyle: true, PublicURL: "https://files.example", Timeout: 60 * time.Second}
	if cfg.Storage != StorageS3 || cfg.S3 != want {
		t.Errorf("S3: %q %+v", cfg.Storage, cfg.S3)
	}
	if cfg := mustLoad(t, map[string]string{"S3_BUCKET": "f", "S3_ACCESS_KEY_ID": "a", "S3_SECRET_ACCESS_KEY": "s"}); cfg.S3.Region != "us-east-1" || cfg.S3.ForcePathStyle {
		t.Errorf("S3 defaults: %+v", cfg.S3)
	}
	if dump := fmt.Sprintf("%v", cfg.Redacted()); strings.Contains(dump, "s3cret") || !strings.Contains(dump, "AKID") {
		t.Errorf("Redacted leaks the S3 secret: %s", dump)
	}
}

func TestStorageStartupErrors(t *testing.T) {
	s3 := map[string]string{"S3_BUCKET": "f", "S3_ACCESS_KEY_ID": "a", "S3_SECRET_ACCESS_KEY": "s"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name string
		vars map[string]string
		want []string // every one must be in the error
	}{
		{"Supabase and GCS", map[string]string{"SUPABASE_URL": "https://x.supabase.co", "SUPABASE_KEY": "k", "GCS_BUCKET_NAME": "b"},
			[]string{"SUPABASE_URL", "GCS_BUCKET_NAME", "one backend"}},
		{"GCS and S3", with(s3, "GCS_BUCKET_NAME", "b"), []string{"GCS_BUCKET_NAME", "S3_BUCKET"}},
		{"Supabase and S3", with(s3, "SUPABASE_URL", "https://x.supabase.co", "SUPABASE_KEY", "k"), []string{"SUPABASE_URL", "S3_BUCKET"}},
		{"S3 without keys", map[string]string{"S3_BUCKET": "f"}, []string{"S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"}},
		{"S3 without secret", map[string]string{"S3_BUCKET": "f", "S3_ACCESS_KEY_ID": "a"}, []string{"S3_SECRET_ACCESS_KEY"}},
		{"S3 endpoint without bucket", map[string]string{"S3_ENDPOINT": "https://minio:9000"}, []string{"S3_ENDPOINT", "S3_BUCKET"}},
		{"S3 keys without bucket", map[string]string{"S3_ACCESS_KEY_ID": "a", "S3_SECRET_ACCESS_KEY": "s"}, []string{"S3_ACCESS_KEY_ID", "S3_BUCKET"}},
		{"S3 bad endpoint", with(s3, "S3_ENDPOINT", "minio:9000"), []string{"S3_ENDPOINT"}},
		{"S3 bad path style", with(s3, "S3_FORCE_PATH_STYLE", "sometimes"), []string{"S3_FORCE_PATH_STYLE"}},
		{"GCS missing credentials file", map[string]string{"GCS_BUCKET_NAME": "b", "GOOGLE_APPLICATION_CREDENTIALS": "/nonexistent/sa.json"},
			[]string{"GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/sa.json"}},
		{"GCS endpoint without bucket", map[string]string{"GCS_ENDPOINT": "http://127.0.0.1:4443"}, []string{"GCS_ENDPOINT", "GCS_BUCKET_NAME"}},
		{"GCS bad public URL", map[string]string{"GCS_BUCKET_NAME": "b", "GCS_PUBLIC_URL": "cdn.example"}, []string{"GCS_PUBLIC_URL"}},
	}
	for _, tc := range cases {
		_, err := load(t, tc.vars)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not name %s", tc.name, err, w)
			}
		}
	}
}

func TestStorageWarnsOfSignedLinksLongerThanSevenDays(t *testing.T) {
	cfg := mustLoad(t, map[string]string{"GCS_BUCKET_NAME": "b", "FILE_URL_TTL": "240h"})
	if len(cfg.Warnings) == 0 || !strings.Contains(strings.Join(cfg.Warnings, "\n"), "FILE_URL_TTL") {
		t.Errorf("warnings = %v", cfg.Warnings)
	}
	if cfg := mustLoad(t, map[string]string{"FILE_URL_TTL": "240h"}); strings.Contains(strings.Join(cfg.Warnings, "\n"), "FILE_URL_TTL") {
		t.Errorf("local disk warned: %v", cfg.Warnings)
	}
}
