package main

import (
	"flag"
	"io"
	"testing"
)

func TestGoMemoryLimit(t *testing.T) {
	const limit768Mi = 768 << 20 // config/manager/resources.yaml's limit
	for name, tc := range map[string]struct {
		env     map[string]string
		want    int64
		wantErr bool
	}{
		"no container limit":    {env: nil, want: 0},
		"empty container limit": {env: map[string]string{containerMemoryLimitEnv: ""}, want: 0},
		"90% of the limit":      {env: map[string]string{containerMemoryLimitEnv: "805306368"}, want: limit768Mi * 9 / 10},
		// The runtime reads GOMEMLIMIT itself; the controller leaves it.
		"GOMEMLIMIT wins":         {env: map[string]string{containerMemoryLimitEnv: "805306368", "GOMEMLIMIT": "100MiB"}, want: 0},
		"GOMEMLIMIT=off wins too": {env: map[string]string{containerMemoryLimitEnv: "805306368", "GOMEMLIMIT": "off"}, want: 0},
		"not bytes":               {env: map[string]string{containerMemoryLimitEnv: "768Mi"}, wantErr: true},
		"zero":                    {env: map[string]string{containerMemoryLimitEnv: "0"}, wantErr: true},
	} {
		got, err := goMemoryLimit(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("%s: %d, %v; want %d (error: %v)", name, got, err, tc.want, tc.wantErr)
		}
	}
}

// TestMetricsSecureByDefault: without flags the metrics need a token the
// API server accepts; --metrics-secure=false turns that off.
func TestMetricsSecureByDefault(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{nil, true},
		{[]string{"--metrics-secure=false"}, false},
	} {
		fs := flag.NewFlagSet("controller", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		f := bindControllerFlags(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		opts, err := f.managerOptions()
		if err != nil {
			t.Fatal(err)
		}
		if opts.MetricsSecure != tc.want {
			t.Errorf("%q: MetricsSecure %v, want %v", tc.args, opts.MetricsSecure, tc.want)
		}
	}
}
