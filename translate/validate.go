package translate

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Patterns from the Gateway API validation markers.
var (
	headerNamePattern = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+\\-.^_`|~]+$")
	hostnamePattern   = regexp.MustCompile(`^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	pathCharsPattern  = regexp.MustCompile(`^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$`)
)

func validHeaderName(name string) error {
	switch {
	case name == "":
		return errors.New("header name must not be empty")
	case len(name) > MaxHeaderNameLength:
		return fmt.Errorf("header name is %d characters, over the limit of %d", len(name), MaxHeaderNameLength)
	case !headerNamePattern.MatchString(name):
		return fmt.Errorf("header name %q has characters not allowed in an HTTP header name", name)
	}
	return nil
}

// validHeaderValue accepts what can travel as an HTTP header value and be
// matched exactly: valid UTF-8, no control characters (CR and LF above all,
// which would allow header injection), no invisible format characters, no
// surrounding whitespace (proxies strip it, so the value could never
// match).
func validHeaderValue(v string, maxLen int) error {
	switch {
	case v == "":
		return errors.New("must not be empty")
	case len(v) > maxLen:
		return fmt.Errorf("is %d bytes, over the limit of %d", len(v), maxLen)
	case !utf8.ValidString(v):
		return errors.New("is not valid UTF-8")
	case strings.TrimSpace(v) != v:
		return errors.New("has leading or trailing whitespace, which HTTP strips from header values")
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Errorf("contains the control character %U, not allowed in an HTTP header value", r)
		}
		// Bidi overrides, zero-width characters and the like make two
		// names that differ look the same to a person.
		if unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("contains the invisible format character %U", r)
		}
	}
	return nil
}

func validPathPrefix(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return errors.New("must start with '/'")
	case len(p) > MaxPathLength:
		return fmt.Errorf("is %d characters, over the limit of %d", len(p), MaxPathLength)
	case !pathCharsPattern.MatchString(p):
		return errors.New("has characters not allowed in a path")
	case strings.HasSuffix(p, "/..") || strings.HasSuffix(p, "/."):
		return errors.New("must not end with '/.' or '/..'")
	}
	for _, bad := range []string{"//", "/./", "/../", "%2f", "%2F", "#"} {
		if strings.Contains(p, bad) {
			return fmt.Errorf("must not contain %q", bad)
		}
	}
	return nil
}

func validHostname(h string) error {
	switch {
	case len(h) > MaxHostnameLength:
		return fmt.Errorf("is %d characters, over the limit of %d", len(h), MaxHostnameLength)
	case !hostnamePattern.MatchString(h):
		return errors.New("is not a hostname (lower-case DNS name, optionally starting with '*.')")
	}
	return nil
}

func validHostnames(hosts []gatewayv1.Hostname) error {
	for _, h := range hosts {
		if err := validHostname(string(h)); err != nil {
			return fmt.Errorf("%q: %w", h, err)
		}
	}
	if n := len(normalizeHostnames(hosts)); n > MaxHostnames {
		return fmt.Errorf("%d hostnames exceed the Gateway API limit of %d per HTTPRoute", n, MaxHostnames)
	}
	return nil
}

func validParentRef(ref gatewayv1.ParentReference) error {
	if ref.Namespace == nil || len(validation.IsDNS1123Label(string(*ref.Namespace))) > 0 {
		return errors.New("namespace must be a DNS label")
	}
	if errs := validation.IsDNS1123Subdomain(string(ref.Name)); len(errs) > 0 {
		return fmt.Errorf("name: %s", strings.Join(errs, "; "))
	}
	if ref.SectionName != nil {
		if errs := validation.IsDNS1123Subdomain(string(*ref.SectionName)); len(errs) > 0 {
			return fmt.Errorf("section: %s", strings.Join(errs, "; "))
		}
	}
	return nil
}

func validParentRefs(refs []gatewayv1.ParentReference) error {
	for _, ref := range refs {
		if err := validParentRef(ref); err != nil {
			return err
		}
	}
	if n := len(normalizeParentRefs(refs)); n > MaxParentRefs {
		return fmt.Errorf("%d parent refs exceed the Gateway API limit of %d per HTTPRoute", n, MaxParentRefs)
	}
	return nil
}
