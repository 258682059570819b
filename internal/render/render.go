package render

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/translate"
)

// Exit codes of `modelroute render`.
const (
	ExitOK       = 0 // every model is Accepted and its refs resolve
	ExitNotReady = 1 // some model is not; one line each on stderr
	ExitBadInput = 2 // unreadable or malformed input, or bad flags
)

// Options are render's own settings; translation settings are in Config.
type Options struct {
	Paths            []string
	DefaultNamespace string
	Status           bool
	Config           translate.Config
}

// Run renders and returns the exit code. Nothing reaches stdout unless the
// input was read and translated in full.
func Run(opts Options, stdin io.Reader, stdout, stderr io.Writer) int {
	in, err := Load(opts.Paths, stdin, opts.DefaultNamespace)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return ExitBadInput
	}
	out, err := translate.Translate(in, opts.Config)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return ExitBadInput
	}
	var doc []byte
	if opts.Status {
		doc, err = StatusStream(in.Models, out)
	} else {
		doc, err = ObjectStream(out)
	}
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return ExitBadInput
	}
	if _, err := stdout.Write(doc); err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return ExitBadInput
	}
	return report(out, stderr)
}

// report writes one line per model that is not Accepted or whose refs do
// not resolve (the first failing check), warnings for models that get no
// traffic for other reasons, and a note for each Extended Gateway API
// feature a route needs.
func report(out translate.Output, stderr io.Writer) int {
	code := ExitOK
	for _, m := range out.Models {
		for _, t := range []string{translate.ConditionResolvedRefs, translate.ConditionAccepted} {
			if c := m.Condition(t); c != nil && c.Status != metav1.ConditionTrue {
				fmt.Fprintf(stderr, "%s/%s: %s\n", m.Namespace, m.Name, conditionLine(c))
				code = ExitNotReady
				break
			}
		}
		if c := m.Condition(translate.ConditionProgrammed); c != nil && c.Status == metav1.ConditionFalse {
			fmt.Fprintf(stderr, "warning: %s/%s: %s\n", m.Namespace, m.Name, conditionLine(c))
		}
		// Offline there is no Gateway to ask whether it can deliver them.
		if m.Route != nil {
			for _, f := range translate.RequiredFeatures(m.Route) {
				fmt.Fprintf(stderr, "note: %s/%s: HTTPRoute %q needs the Extended Gateway API feature %s (%s); its Gateway's class must list it in status.supportedFeatures\n",
					m.Namespace, m.Name, m.Route.Name, f.Name, f.Purpose)
			}
		}
	}
	return code
}

func conditionLine(c *metav1.Condition) string {
	return fmt.Sprintf("%s=%s %s: %s", c.Type, c.Status, c.Reason, c.Message)
}

// ObjectStream is the YAML stream of every generated object, ordered by
// kind, namespace and name.
func ObjectStream(out translate.Output) ([]byte, error) {
	var objs []runtime.Object
	for _, m := range out.Models {
		if m.Route != nil {
			objs = append(objs, m.Route)
		}
	}
	for _, svc := range out.Services {
		objs = append(objs, svc)
	}
	manifests := make([]*unstructured.Unstructured, 0, len(objs))
	for _, o := range objs {
		u, err := translate.Manifest(o)
		if err != nil {
			return nil, err
		}
		manifests = append(manifests, u)
	}
	slices.SortFunc(manifests, func(a, b *unstructured.Unstructured) int {
		return strings.Compare(sortKey(a), sortKey(b))
	})
	items := make([]any, len(manifests))
	for i, u := range manifests {
		items[i] = u.Object
	}
	return yamlStream(items)
}

func sortKey(u *unstructured.Unstructured) string {
	return u.GetKind() + "\x00" + u.GetNamespace() + "\x00" + u.GetName()
}

// StatusStream is each InferenceModel with the status.conditions it would
// get. lastTransitionTime is left out: offline, there is no transition.
func StatusStream(models []v1alpha2.InferenceModel, out translate.Output) ([]byte, error) {
	byName := map[string]*v1alpha2.InferenceModel{}
	for i := range models {
		byName[models[i].Namespace+"/"+models[i].Name] = &models[i]
	}
	items := make([]any, 0, len(out.Models))
	for _, res := range out.Models {
		src := byName[res.Namespace+"/"+res.Name]
		conditions := make([]any, 0, len(res.Conditions))
		for _, c := range res.Conditions {
			conditions = append(conditions, map[string]any{
				"type": c.Type, "status": string(c.Status), "reason": c.Reason,
				"message": c.Message, "observedGeneration": c.ObservedGeneration,
			})
		}
		items = append(items, map[string]any{
			"apiVersion": v1alpha2.GroupVersion.String(),
			"kind":       "InferenceModel",
			"metadata":   map[string]any{"name": res.Name, "namespace": res.Namespace},
			"spec":       src.Spec,
			"status":     map[string]any{"conditions": conditions},
		})
	}
	return yamlStream(items)
}

func yamlStream(items []any) ([]byte, error) {
	var buf bytes.Buffer
	for _, item := range items {
		b, err := yaml.Marshal(item)
		if err != nil {
			return nil, err
		}
		buf.WriteString("---\n")
		buf.Write(b)
	}
	return buf.Bytes(), nil
}
