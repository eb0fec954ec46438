package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The fields of Render's Blueprint specification that render.yaml uses
// (https://render.com/docs/blueprint-spec). Decoding with KnownFields rejects a
// misspelt or made-up field.
type blueprint struct {
	Services  []blueprintService  `yaml:"services"`
	Databases []blueprintDatabase `yaml:"databases"`
}

type blueprintService struct {
	Type                    string         `yaml:"type"`
	Name                    string         `yaml:"name"`
	Runtime                 string         `yaml:"runtime"`
	Region                  string         `yaml:"region"`
	Plan                    string         `yaml:"plan"`
	BuildCommand            string         `yaml:"buildCommand"`
	StartCommand            string         `yaml:"startCommand"`
	HealthCheckPath         string         `yaml:"healthCheckPath"`
	MaxShutdownDelaySeconds int            `yaml:"maxShutdownDelaySeconds"`
	NumInstances            int            `yaml:"numInstances"`
	MaxmemoryPolicy         string         `yaml:"maxmemoryPolicy"`
	IPAllowList             *[]allowedCIDR `yaml:"ipAllowList"`
	EnvVars                 []blueprintEnv `yaml:"envVars"`
}

type blueprintDatabase struct {
	Name                 string         `yaml:"name"`
	Region               string         `yaml:"region"`
	Plan                 string         `yaml:"plan"`
	DatabaseName         string         `yaml:"databaseName"`
	User                 string         `yaml:"user"`
	PostgresMajorVersion string         `yaml:"postgresMajorVersion"`
	IPAllowList          *[]allowedCIDR `yaml:"ipAllowList"`
}

type allowedCIDR struct {
	Source      string `yaml:"source"`
	Description string `yaml:"description"`
}

type blueprintEnv struct {
	Key           string  `yaml:"key"`
	Value         *string `yaml:"value"`
	GenerateValue bool    `yaml:"generateValue"`
	Sync          *bool   `yaml:"sync"`
	FromDatabase  *struct {
		Name     string `yaml:"name"`
		Property string `yaml:"property"`
	} `yaml:"fromDatabase"`
	FromService *struct {
		Type      string `yaml:"type"`
		Name      string `yaml:"name"`
		Property  string `yaml:"property"`
		EnvVarKey string `yaml:"envVarKey"`
	} `yaml:"fromService"`
	FromGroup string `yaml:"fromGroup"`
}

func loadBlueprint(t *testing.T) blueprint {
	t.Helper()
	f, err := os.Open("render.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	var bp blueprint
	if err := dec.Decode(&bp); err != nil {
		t.Fatalf("render.yaml does not match the Blueprint fields: %v", err)
	}
	return bp
}

// sources counts how many value sources an env var names; the spec wants one.
func (e blueprintEnv) sources() int {
	n := 0
	for _, set := range []bool{e.Value != nil, e.GenerateValue, e.Sync != nil, e.FromDatabase != nil, e.FromService != nil, e.FromGroup != ""} {
		if set {
			n++
		}
	}
	return n
}

func TestRenderBlueprint(t *testing.T) {
	bp := loadBlueprint(t)

	var web, kv *blueprintService
	for i := range bp.Services {
		s := &bp.Services[i]
		switch s.Type {
		case "web":
			if web != nil {
				t.Fatal("more than one web service")
			}
			web = s
		case "keyvalue":
			kv = s
		default:
			t.Errorf("unexpected service type %q", s.Type)
		}
	}
	if web == nil || kv == nil || len(bp.Databases) != 1 {
		t.Fatalf("want a web service, a keyvalue service and one database; got %+v", bp)
	}
	db := bp.Databases[0]

	for field, got := range map[string]string{
		"runtime": web.Runtime, "buildCommand": web.BuildCommand, "startCommand": web.StartCommand,
		"healthCheckPath": web.HealthCheckPath,
	} {
		want := map[string]string{"runtime": "go", "buildCommand": "./build.sh", "startCommand": "./bin/izpochat",
			"healthCheckPath": "/health"}[field]
		if got != want {
			t.Errorf("web %s = %q, want %q", field, got, want)
		}
	}
	if web.MaxShutdownDelaySeconds < 1 || web.MaxShutdownDelaySeconds > 300 {
		t.Errorf("maxShutdownDelaySeconds %d outside Render's 1..300", web.MaxShutdownDelaySeconds)
	}
	if kv.IPAllowList == nil || db.IPAllowList == nil {
		t.Error("keyvalue and database need an ipAllowList ([] = private network only)")
	}
	if web.Region != kv.Region || web.Region != db.Region {
		t.Errorf("regions differ (web %s, kv %s, db %s): the private network needs one region", web.Region, kv.Region, db.Region)
	}
	if _, err := strconv.Atoi(db.PostgresMajorVersion); err != nil {
		t.Errorf("postgresMajorVersion %q is not a number", db.PostgresMajorVersion)
	}

	env := map[string]blueprintEnv{}
	for _, e := range web.EnvVars {
		if e.sources() != 1 {
			t.Errorf("env %s names %d value sources, want exactly one", e.Key, e.sources())
		}
		if _, dup := env[e.Key]; dup {
			t.Errorf("env %s listed twice", e.Key)
		}
		env[e.Key] = e
	}
	if e := env["JWT_SECRET_KEY"]; !e.GenerateValue {
		t.Error("JWT_SECRET_KEY must be generated")
	}
	if e := env["APP_ENV"]; e.Value == nil || *e.Value != "production" {
		t.Error("APP_ENV must be production")
	}
	if e := env["DATABASE_URL"]; e.FromDatabase == nil || e.FromDatabase.Name != db.Name || e.FromDatabase.Property != "connectionString" {
		t.Errorf("DATABASE_URL must be the connectionString of database %q", db.Name)
	}
	if e := env["REDIS_URL"]; e.FromService == nil || e.FromService.Type != "keyvalue" || e.FromService.Name != kv.Name || e.FromService.Property != "connectionString" {
		t.Errorf("REDIS_URL must be the connectionString of keyvalue %q", kv.Name)
	}
	for _, key := range []string{"SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_STORAGE_BUCKET",
		"GCS_BUCKET_NAME", "GOOGLE_APPLICATION_CREDENTIALS", "S3_BUCKET", "S3_ENDPOINT", "S3_REGION",
		"S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_FORCE_PATH_STYLE", "S3_PUBLIC_URL"} {
		if e, ok := env[key]; !ok || e.Sync == nil || *e.Sync {
			t.Errorf("%s must be sync: false (filled in the Dashboard)", key)
		}
	}
	if e := env["SHUTDOWN_TIMEOUT"]; e.Value != nil {
		n, err := strconv.Atoi(*e.Value)
		if err != nil || n >= web.MaxShutdownDelaySeconds {
			t.Errorf("SHUTDOWN_TIMEOUT %q must be whole seconds below maxShutdownDelaySeconds %d", *e.Value, web.MaxShutdownDelaySeconds)
		}
	}

	// Every variable set here is one the server reads.
	known := configVariables(t)
	for key := range env {
		if !known[key] {
			t.Errorf("render.yaml sets %s, which config/ never reads", key)
		}
	}
}

// configVariables collects the quoted UPPER_CASE names in config/*.go.
func configVariables(t *testing.T) map[string]bool {
	t.Helper()
	files, _ := filepath.Glob("config/*.go")
	re := regexp.MustCompile(`"([A-Z][A-Z0-9_]{2,})"`)
	known := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			known[m[1]] = true
		}
	}
	if !known["DATABASE_URL"] || !known["PORT"] {
		t.Fatalf("could not read variable names from config/: %v", known)
	}
	return known
}

// TestRenderStartsWhatBuildProduces ties startCommand to build.sh's output.
func TestRenderStartsWhatBuildProduces(t *testing.T) {
	bp := loadBlueprint(t)
	script, err := os.ReadFile("build.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`out="\$\{OUT:-([^}]+)\}"`).FindSubmatch(script)
	if m == nil {
		t.Fatal("build.sh does not name its default output as out=\"${OUT:-...}\"")
	}
	for _, s := range bp.Services {
		if s.Type == "web" && filepath.Clean(s.StartCommand) != filepath.Clean(string(m[1])) {
			t.Errorf("startCommand %q, build.sh writes %q", s.StartCommand, m[1])
		}
	}
	gitignore, _ := os.ReadFile(".gitignore")
	if !slices.Contains(strings.Fields(string(gitignore)), "/bin/") {
		t.Error(".gitignore does not ignore /bin/ (the build output)")
	}
}

func TestRenderBlueprintRejectsUnknownFields(t *testing.T) {
	dec := yaml.NewDecoder(strings.NewReader("services:\n  - type: web\n    startCommnd: ./bin/izpochat\n"))
	dec.KnownFields(true)
	var bp blueprint
	if err := dec.Decode(&bp); err == nil {
		t.Error("a misspelt field was accepted; the shape check would miss typos")
	}
}
