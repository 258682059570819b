package translate

import (
	"fmt"
	"unicode/utf8"

	"github.com/modelroute/modelroute/api/v1alpha2"
)

// validateSpec checks what the CRD's schema would on an API server, and that
// every name can travel in an HTTP header. It returns the Accepted reason
// and a message naming the field, or "" when the spec is valid.
func validateSpec(spec *v1alpha2.InferenceModelSpec) (reason, message string) {
	if n := utf8.RuneCountInString(spec.ModelName); n < 1 || n > MaxModelNameLength {
		return ReasonInvalidModelName, fmt.Sprintf("spec.modelName must be 1 to %d characters, not %d", MaxModelNameLength, n)
	}
	if err := validHeaderValue(spec.ModelName, MaxHeaderValueLength); err != nil {
		return ReasonInvalidModelName, fmt.Sprintf("spec.modelName %s", err)
	}
	if c := spec.Criticality; c != nil {
		switch *c {
		case v1alpha2.Critical, v1alpha2.Standard, v1alpha2.Sheddable:
		default:
			return ReasonInvalidCriticality, fmt.Sprintf("spec.criticality %q is not one of Critical, Standard, Sheddable", *c)
		}
	}
	targets := spec.TargetModels
	if len(targets) > MaxTargetModels {
		return ReasonInvalidTargetModels, fmt.Sprintf("spec.targetModels has %d entries; at most %d are allowed", len(targets), MaxTargetModels)
	}
	weighted := 0
	for i, t := range targets {
		field := fmt.Sprintf("spec.targetModels[%d]", i)
		if n := utf8.RuneCountInString(t.Name); n < 1 || n > MaxTargetNameLength {
			return ReasonInvalidTargetModels, fmt.Sprintf("%s.name must be 1 to %d characters, not %d", field, MaxTargetNameLength, n)
		}
		if err := validHeaderValue(t.Name, MaxHeaderValueLength); err != nil {
			return ReasonInvalidTargetModels, fmt.Sprintf("%s.name %s", field, err)
		}
		if t.Weight != nil {
			weighted++
			if w := *t.Weight; w < MinTargetWeight || w > MaxTargetWeight {
				return ReasonInvalidTargetModels, fmt.Sprintf("%s.weight must be %d to %d, not %d", field, MinTargetWeight, MaxTargetWeight, w)
			}
		}
	}
	if weighted != 0 && weighted != len(targets) {
		return ReasonInvalidTargetModels, fmt.Sprintf("spec.targetModels: weights must be set on all targets or on none (%d of %d have one)", weighted, len(targets))
	}
	return "", ""
}
