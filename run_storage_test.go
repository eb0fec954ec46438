package main

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/izpochat/server/internal/fakegcs"
	"github.com/izpochat/server/internal/fakes3"
)

// health reads /health.
func health(t *testing.T, base string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/health", nil)
	return do(t, req)
}

// uploadPNG uploads a small PNG as a new user and returns the answer.
func uploadPNG(t *testing.T, base string) (int, map[string]any) {
	t.Helper()
	_, reg := postJSON(t, base+"/api/users/register", "", map[string]string{"username": "uma", "email": "uma@example.com", "password": "secret1"})
	token, _ := reg["access_token"].(string)
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, _ := w.CreateFormFile("file", "dot.png")
	fw.Write(append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...))
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/upload", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return do(t, req)
}

// The variables alone choose the backend: run with GCS's or S3's, uploads land
// in that bucket (file_url is its public URL) and /health reports the storage
// check; a bucket that is not there makes /health degraded.
func TestRunStoresFilesInTheConfiguredBucket(t *testing.T) {
	gcs := fakegcs.Start(t, "izpo-gcs")
	s3 := fakes3.Start(t, "izpo-s3")
	cases := []struct {
		name    string
		env     func(bucket string) map[string]string
		bucket  string
		prefix  string
		objects func() []string
	}{
		{"gcs", func(b string) map[string]string {
			return map[string]string{"GCS_BUCKET_NAME": b, "GOOGLE_APPLICATION_CREDENTIALS": gcs.CredentialsFile, "GCS_ENDPOINT": gcs.URL}
		}, "izpo-gcs", gcs.URL + "/izpo-gcs/", gcs.Keys},
		{"s3", func(b string) map[string]string {
			return map[string]string{"S3_BUCKET": b, "S3_ENDPOINT": s3.URL, "S3_REGION": fakes3.Region, "S3_FORCE_PATH_STYLE": "true",
				"S3_ACCESS_KEY_ID": fakes3.AccessKeyID, "S3_SECRET_ACCESS_KEY": fakes3.SecretAccessKey}
		}, "izpo-s3", s3.URL + "/izpo-s3/", s3.Keys},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base, stop, logs := startRun(t, tc.env(tc.bucket))
			code, h := health(t, base)
			if checks, _ := h["checks"].(map[string]any); code != 200 || checks["storage"] != "ok" || h["status"] != "healthy" {
				t.Fatalf("/health: %d %v\n%s", code, h, logs)
			}
			code, up := uploadPNG(t, base)
			url, _ := up["file_url"].(string)
			if code != http.StatusCreated || !strings.HasPrefix(url, tc.prefix) {
				t.Fatalf("upload: %d %v, want file_url under %s", code, up, tc.prefix)
			}
			if keys := tc.objects(); len(keys) != 1 || !strings.HasSuffix(url, "/"+keys[0]) {
				t.Fatalf("bucket holds %v, file_url %s", keys, url)
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}

			base, stop, logs = startRun(t, tc.env("no-such-bucket"))
			defer stop()
			code, h = health(t, base)
			if checks, _ := h["checks"].(map[string]any); code != 200 || checks["storage"] != "down" || h["status"] != "degraded" {
				t.Fatalf("/health with a missing bucket: %d %v\n%s", code, h, logs)
			}
		})
	}
}

// Two backends configured at once stop the start with a message naming both.
func TestRunRefusesTwoStorageBackends(t *testing.T) {
	env := map[string]string{"DATA_DIR": t.TempDir(), "GCS_BUCKET_NAME": "a", "S3_BUCKET": "b", "S3_ACCESS_KEY_ID": "k", "S3_SECRET_ACCESS_KEY": "s"}
	var out bytes.Buffer
	err := run(context.Background(), []string{"izpochat", "-env-file", ""}, envOf(env), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "GCS_BUCKET_NAME") || !strings.Contains(err.Error(), "S3_BUCKET") {
		t.Fatalf("run error = %v", err)
	}
}
