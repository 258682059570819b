package render

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
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
		doc, err = StatusStream(in, out)
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
	results := slices.Concat(out.Models, out.Rewrites)
	for _, m := range results {
		name := objectName(translate.KindInferenceModelRewrite, m.APIVersion, m.Namespace, m.Name)
		if c := m.Condition(translate.ConditionProgrammed); c != nil && c.Reason == translate.ReasonRouteShadowed {
			shadowed = true
		}
		if !allTrue(stderr, name, m.Condition) {
			code = ExitNotReady
		}
		if c := m.Condition(translate.ConditionProgrammed); c != nil && c.Status == metav1.ConditionFalse {
			fmt.Fprintf(stderr, "warning: %s: %s\n", name, conditionLine(c))
		}
		if c := m.Condition(translate.ConditionAccepted); c != nil && c.Status == metav1.ConditionTrue && c.Reason == translate.ReasonPartiallyAccepted {
			fmt.Fprintf(stderr, "warning: %s: %s\n", name, conditionLine(c))
		}
		// Offline there is no Gateway to ask whether it can deliver them.
		if m.Route != nil {
			for _, f := range translate.RequiredFeatures(m.Route) {
				fmt.Fprintf(stderr, "note: %s: HTTPRoute %q needs the Extended Gateway API feature %s (%s); its Gateway's class must list it in status.supportedFeatures\n",
					name, m.Route.Name, f.Name, f.Purpose)
			}
		}
	}
	for _, o := range out.Objectives {
		condition := func(t string) *metav1.Condition { return meta.FindStatusCondition(o.Conditions, t) }
		if !allTrue(stderr, objectName(translate.KindInferenceObjective, o.APIVersion, o.Namespace, o.Name), condition) {
			code = ExitNotReady
		}
	}
	if shadowed {
		// The controller reads the Gateways' verdicts; offline there are none.
		fmt.Fprintln(stderr, "note: offline, every HTTPRoute is assumed admitted by every Gateway it names: "+
			"in a cluster, an older model whose route a Gateway does not accept shadows no one there")
	}
	return code
}

// allTrue writes the first of ResolvedRefs and Accepted that is not True,
// and reports whether both are.
func allTrue(stderr io.Writer, name string, condition func(string) *metav1.Condition) bool {
	for _, t := range []string{translate.ConditionResolvedRefs, translate.ConditionAccepted} {
		if c := condition(t); c != nil && c.Status != metav1.ConditionTrue {
			fmt.Fprintf(stderr, "%s: %s\n", name, conditionLine(c))
			return false
		}
	}
	return true
}

// objectName is how report names an object: NAMESPACE/NAME for a model
// (its apiVersion is empty), KIND.GROUP NAMESPACE/NAME for the others.
func objectName(kind, apiVersion, namespace, name string) string {
	if apiVersion == "" {
		return namespace + "/" + name
	}
	group, _, _ := strings.Cut(apiVersion, "/")
	return fmt.Sprintf("%s.%s %s/%s", kind, group, namespace, name)
}

func conditionLine(c *metav1.Condition) string {
	return fmt.Sprintf("%s=%s %s: %s", c.Type, c.Status, c.Reason, c.Message)
}

// ObjectStream is the YAML stream of every generated object, ordered by
// kind, namespace and name.
func ObjectStream(out translate.Output) ([]byte, error) {
	var objs []client.Object
	for _, m := range slices.Concat(out.Models, out.Rewrites) {
		if m.Route != nil {
			objs = append(objs, m.Route)
		}
		if m.EPPRewrite != nil {
			objs = append(objs, m.EPPRewrite)
		}
		if m.EPPObjective != nil {
			objs = append(objs, m.EPPObjective)
		}
	}
	for _, svc := range out.Services {
		objs = append(objs, svc)
	}
	slices.SortFunc(objs, func(a, b client.Object) int {
		return cmp.Or(strings.Compare(a.GetObjectKind().GroupVersionKind().Kind, b.GetObjectKind().GroupVersionKind().Kind),
			strings.Compare(a.GetNamespace(), b.GetNamespace()), strings.Compare(a.GetName(), b.GetName()))
	})
	return manifestStream(objs)
}

// manifestStream is the YAML stream of objs' manifests (translate.Manifest:
// no status, no empty creationTimestamp), in their order. Each object
// becomes its manifest and then YAML, in parallel; only the YAML is kept.
func manifestStream(objs []client.Object) ([]byte, error) {
	return yamlStream(len(objs), func(i int) (any, error) {
		u, err := translate.Manifest(objs[i])
		if err != nil {
			return nil, err
		}
		return u.Object, nil
	})
}

// StatusStream is each InferenceModel, InferenceModelRewrite and
// InferenceObjective with the status.conditions it would get.
// lastTransitionTime is left out: offline, there is no transition.
func StatusStream(in translate.Input, out translate.Output) ([]byte, error) {
	specs := map[string]any{}
	for i := range in.Models {
		specs[statusKey("InferenceModel", v1alpha2.GroupVersion.String(), in.Models[i].Namespace, in.Models[i].Name)] = &in.Models[i].Spec
	}
	for i := range in.Rewrites {
		specs[statusKey(translate.KindInferenceModelRewrite, in.Rewrites[i].APIVersion, in.Rewrites[i].Namespace, in.Rewrites[i].Name)] = &in.Rewrites[i].Spec
	}
	for i := range in.Objectives {
		specs[statusKey(translate.KindInferenceObjective, in.Objectives[i].APIVersion, in.Objectives[i].Namespace, in.Objectives[i].Name)] = &in.Objectives[i].Spec
	}
	type doc struct {
		apiVersion, kind, namespace, name string
		conditions                        []metav1.Condition
	}
	var docs []doc
	for _, m := range out.Models {
		docs = append(docs, doc{v1alpha2.GroupVersion.String(), "InferenceModel", m.Namespace, m.Name, m.Conditions})
	}
	for _, r := range out.Rewrites {
		docs = append(docs, doc{r.APIVersion, translate.KindInferenceModelRewrite, r.Namespace, r.Name, r.Conditions})
	}
	for _, o := range out.Objectives {
		docs = append(docs, doc{o.APIVersion, translate.KindInferenceObjective, o.Namespace, o.Name, o.Conditions})
	}
	return yamlStream(len(docs), func(i int) (any, error) {
		d := docs[i]
		spec, err := runtime.DefaultUnstructuredConverter.ToUnstructured(specs[statusKey(d.kind, d.apiVersion, d.namespace, d.name)])
		if err != nil {
			return nil, err
		}
		conditions := make([]any, 0, len(d.conditions))
		for _, c := range d.conditions {
			conditions = append(conditions, map[string]any{
				"type": c.Type, "status": string(c.Status), "reason": c.Reason,
				"message": c.Message, "observedGeneration": c.ObservedGeneration,
			})
		}
		return map[string]any{
			"apiVersion": d.apiVersion,
			"kind":       d.kind,
			"metadata":   map[string]any{"name": d.name, "namespace": d.namespace},
			"spec":       spec,
			"status":     map[string]any{"conditions": conditions},
		}, nil
	})
}

// statusKey identifies an input object.
func statusKey(kind, apiVersion, namespace, name string) string {
	return kind + " " + apiVersion + " " + namespace + "/" + name
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
