package conformance

import (
	"strings"
	"testing"
)

// TestSplitWithinTolerance pins down the statistics of the split tests:
// a correct split passes, a wrong one fails, whatever the Gateway.
func TestSplitWithinTolerance(t *testing.T) {
	weights := map[string]float64{"a": 0.7, "b": 0.2, "c": 0.1}
	for _, tc := range []struct {
		name   string
		counts map[string]int
		want   string // substring of the error; empty: no error
	}{
		{"exact", map[string]int{"a": 700, "b": 200, "c": 100}, ""},
		// 5 standard deviations of 1,000 draws at 0.7 is 72 requests.
		{"noise within 5 sigma", map[string]int{"a": 660, "b": 230, "c": 110}, ""},
		{"off by ten points", map[string]int{"a": 600, "b": 300, "c": 100}, "target a: 600 of 1000 requests; want 700 ± 72"},
		{"a target never picked", map[string]int{"a": 800, "b": 200}, "target c: 0 of 1000"},
		{"an unexpected target", map[string]int{"a": 700, "b": 200, "c": 90, "": 10}, `unexpected target ""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := splitWithinTolerance(tc.counts, 1000, weights)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v; want one containing %q", err, tc.want)
			}
		})
	}
}
