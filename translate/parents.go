package translate

import (
	"cmp"
	"slices"
	"strings"

	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func compareParentRefs(a, b gatewayv1.ParentReference) int {
	return cmp.Or(
		cmp.Compare(ptr.Deref(a.Namespace, ""), ptr.Deref(b.Namespace, "")),
		cmp.Compare(a.Name, b.Name),
		cmp.Compare(ptr.Deref(a.SectionName, ""), ptr.Deref(b.SectionName, "")),
	)
}

func sameParent(a, b gatewayv1.ParentReference) bool {
	return ptr.Deref(a.Namespace, "") == ptr.Deref(b.Namespace, "") && a.Name == b.Name
}

// normalizeParentRefs sorts and deduplicates parent refs. A ref to a whole
// Gateway covers its sections, so section refs to the same Gateway are
// dropped: Gateway API rejects a route mixing the two.
func normalizeParentRefs(refs []gatewayv1.ParentReference) []gatewayv1.ParentReference {
	sorted := make([]gatewayv1.ParentReference, len(refs))
	for i, r := range refs {
		// Write the defaults the API server would, for refs built in code.
		if r.Group == nil {
			r.Group = ptr.To(gatewayv1.Group(gatewayv1.GroupName))
		}
		if r.Kind == nil {
			r.Kind = ptr.To(gatewayv1.Kind("Gateway"))
		}
		sorted[i] = r
	}
	slices.SortFunc(sorted, compareParentRefs)
	sorted = slices.CompactFunc(sorted, func(a, b gatewayv1.ParentReference) bool { return compareParentRefs(a, b) == 0 })
	var out []gatewayv1.ParentReference
	for _, r := range sorted {
		// Sorted order puts the section-less ref of a Gateway first.
		if n := len(out); n > 0 && sameParent(out[n-1], r) && out[n-1].SectionName == nil {
			continue
		}
		out = append(out, r)
	}
	return out
}

// parentsOverlap reports whether two routes attach to a common listener:
// the same Gateway with the same section, or no section on either side.
func parentsOverlap(a, b []gatewayv1.ParentReference) bool {
	for _, pa := range a {
		for _, pb := range b {
			if sameParent(pa, pb) && (pa.SectionName == nil || pb.SectionName == nil || *pa.SectionName == *pb.SectionName) {
				return true
			}
		}
	}
	return false
}

func normalizeHostnames(hosts []gatewayv1.Hostname) []gatewayv1.Hostname {
	out := slices.Clone(hosts)
	slices.Sort(out)
	return slices.Compact(out)
}

// hostnamesOverlap reports whether some request could match both lists; an
// empty list matches every hostname.
func hostnamesOverlap(a, b []gatewayv1.Hostname) bool {
	if len(a) == 0 || len(b) == 0 {
		return true
	}
	for _, ha := range a {
		for _, hb := range b {
			if hostnameOverlap(string(ha), string(hb)) {
				return true
			}
		}
	}
	return false
}

// hostnameOverlap follows Gateway API matching: "*.example.com" matches any
// name with one or more labels before ".example.com".
func hostnameOverlap(a, b string) bool {
	if a == b {
		return true
	}
	wa, sa := strings.CutPrefix(a, "*")
	wb, sb := strings.CutPrefix(b, "*")
	switch {
	case sa && sb:
		return strings.HasSuffix(wa, wb) || strings.HasSuffix(wb, wa)
	case sa:
		return strings.HasSuffix(b, wa)
	case sb:
		return strings.HasSuffix(a, wb)
	}
	return false
}
