package translate

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Labels on every generated object. Nothing is copied from the source
// objects: a GitOps tool's tracking label on a child would get it pruned.
const (
	LabelManagedBy      = "app.kubernetes.io/managed-by"
	ManagedByValue      = "modelroute"
	LabelInferenceModel = "modelroute.dev/inference-model"
	LabelInferencePool  = "modelroute.dev/inference-pool"
	// LabelInferenceModelRewrite names the rewrite a route is generated from.
	LabelInferenceModelRewrite = "modelroute.dev/inference-model-rewrite"
)

const (
	routeSuffix = "-modelroute"
	hashLength  = 10
)

// RouteName is the name of the HTTPRoute generated for the InferenceModel
// named model: "<model>-modelroute". When that is not a valid DNS subdomain
// of at most 253 characters, the name is cleaned, cut and given a hash of
// the model's name, so it stays unique and stable.
func RouteName(model string) string {
	return dnsName(model, routeSuffix, MaxObjectNameLength, true)
}

// ModelOfRoute is the model whose route is called route and whose name is
// the route's without the suffix; false when there is no such name. Models
// whose names were cut or sanitized into a route's are not found this way
// (the controller indexes those).
func ModelOfRoute(route string) (string, bool) {
	model, ok := strings.CutSuffix(route, routeSuffix)
	if !ok || model == "" || RouteName(model) != route {
		return "", false
	}
	return model, true
}

// ServiceName is the name of the shadow Service for a pool:
// "<pool>-<hash of group/name>", a DNS label of at most 63 characters. The
// hash keeps pools of the two InferencePool groups with one name apart.
func ServiceName(group, pool string) string {
	h := shortHash(group + "/" + pool)
	base := sanitize(pool, false)
	if base == "" || base[0] < 'a' || base[0] > 'z' {
		base = "pool-" + base
	}
	if max := MaxServiceNameLength - 1 - hashLength; len(base) > max {
		base = base[:max]
	}
	return strings.TrimRight(base, "-") + "-" + h
}

// LabelValue turns an object name into a valid label value: the name itself
// when it fits, otherwise a cut of it followed by a hash of the whole.
func LabelValue(name string) string {
	if len(name) <= MaxLabelValueLength && sanitize(name, true) == name && labelValuePattern(name) {
		return name
	}
	base := sanitize(name, true)
	if max := MaxLabelValueLength - 1 - hashLength; len(base) > max {
		base = base[:max]
	}
	base = strings.TrimRight(base, "-.")
	if base == "" {
		return shortHash(name)
	}
	return base + "-" + shortHash(name)
}

func labelValuePattern(v string) bool {
	if v == "" {
		return true
	}
	return isAlnum(v[0]) && isAlnum(v[len(v)-1])
}

// dnsName appends suffix to base, keeping the result a DNS-1123 name of at
// most maxLen; when base had to change, a hash of the original is added.
func dnsName(base, suffix string, maxLen int, allowDots bool) string {
	clean := sanitize(base, allowDots)
	if clean == base && clean != "" && len(clean)+len(suffix) <= maxLen {
		return clean + suffix
	}
	room := maxLen - len(suffix) - 1 - hashLength
	if len(clean) > room {
		clean = clean[:room]
	}
	clean = strings.TrimRight(clean, "-.")
	if clean == "" {
		return shortHash(base) + suffix
	}
	return clean + "-" + shortHash(base) + suffix
}

// sanitize lower-cases s and replaces every character a DNS name cannot hold
// with '-', trimming separators from both ends.
func sanitize(s string, allowDots bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		case isAlnum(c), c == '-':
			b.WriteByte(c)
		case c == '.' && allowDots:
			b.WriteByte(c)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-.")
	if allowDots {
		// Each dot-separated label must start and end alphanumeric.
		for strings.Contains(out, "..") || strings.Contains(out, "-.") || strings.Contains(out, ".-") {
			out = strings.NewReplacer("..", ".", "-.", ".", ".-", ".").Replace(out)
		}
	}
	return out
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z'
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:hashLength]
}
