package render

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

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
	translator, err := translate.NewTranslator(opts.Config)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return ExitBadInput
	}
	out := translator.Translate(in)
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
	shadowed := false
	for _, m := range out.Models {
		if c := m.Condition(translate.ConditionProgrammed); c != nil && c.Reason == translate.ReasonRouteShadowed {
			shadowed = true
		}
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
	if shadowed {
		// The controller reads the Gateways' verdicts; offline there are none.
		fmt.Fprintln(stderr, "note: offline, every HTTPRoute is assumed admitted by every Gateway it names: "+
			"in a cluster, an older model whose route a Gateway does not accept shadows no one there")
	}
	return code
}

func conditionLine(c *metav1.Condition) string {
	return fmt.Sprintf("%s=%s %s: %s", c.Type, c.Status, c.Reason, c.Message)
}

// ObjectStream is the YAML stream of every generated object, ordered by
// kind, namespace and name.
func ObjectStream(out translate.Output) ([]byte, error) {
	var objs []client.Object
	for _, m := range out.Models {
		if m.Route != nil {
			objs = append(objs, m.Route)
		}
	}
	for _, svc := range out.Services {
		objs = append(objs, svc)
	}
	slices.SortFunc(objs, func(a, b client.Object) int {
		return cmp.Or(strings.Compare(a.GetObjectKind().GroupVersionKind().Kind, b.GetObjectKind().GroupVersionKind().Kind),
			strings.Compare(a.GetNamespace(), b.GetNamespace()), strings.Compare(a.GetName(), b.GetName()))
	})
	// Each object becomes its manifest and then YAML, in parallel; only
	// the YAML is kept.
	return yamlStream(len(objs), func(i int) (any, error) {
		u, err := translate.Manifest(objs[i])
		if err != nil {
			return nil, err
		}
		return u.Object, nil
	})
}

// StatusStream is each InferenceModel with the status.conditions it would
// get. lastTransitionTime is left out: offline, there is no transition.
func StatusStream(models []v1alpha2.InferenceModel, out translate.Output) ([]byte, error) {
	byName := map[string]*v1alpha2.InferenceModel{}
	for i := range models {
		byName[models[i].Namespace+"/"+models[i].Name] = &models[i]
	}
	return yamlStream(len(out.Models), func(i int) (any, error) {
		res := out.Models[i]
		src := byName[res.Namespace+"/"+res.Name]
		spec, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&src.Spec)
		if err != nil {
			return nil, err
		}
		conditions := make([]any, 0, len(res.Conditions))
		for _, c := range res.Conditions {
			conditions = append(conditions, map[string]any{
				"type": c.Type, "status": string(c.Status), "reason": c.Reason,
				"message": c.Message, "observedGeneration": c.ObservedGeneration,
			})
		}
		return map[string]any{
			"apiVersion": v1alpha2.GroupVersion.String(),
			"kind":       "InferenceModel",
			"metadata":   map[string]any{"name": res.Name, "namespace": res.Namespace},
			"spec":       spec,
			"status":     map[string]any{"conditions": conditions},
		}, nil
	})
}

// yamlStream prints the n items item gives, each a JSON-shaped value (maps
// with string keys, slices, strings, numbers, booleans), as YAML documents.
// It writes what sigs.k8s.io/yaml.Marshal would (see yamlWriter), without
// its round trip through JSON, which took most of render's time.
func yamlStream(n int, item func(i int) (any, error)) ([]byte, error) {
	docs := make([][]byte, n)
	errs := make([]error, n)
	var w yamlWriter
	parallel(n, func(i int) {
		v, err := item(i)
		if err == nil {
			docs[i], err = w.marshalYAML(v)
		}
		errs[i] = err
	})
	if i := slices.IndexFunc(errs, func(err error) bool { return err != nil }); i >= 0 {
		return nil, errs[i]
	}
	size := 0
	for _, doc := range docs {
		size += len("---\n") + len(doc)
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	for _, doc := range docs {
		buf.WriteString("---\n")
		buf.Write(doc)
	}
	return buf.Bytes(), nil
}
