// Package render reads InferenceModels, InferenceModelRewrites,
// InferenceObjectives (both groups) and InferencePools from manifest files
// and prints what modelroute would generate for them.
package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	yamlv2 "go.yaml.in/yaml/v2"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	sjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/modelroute/modelroute/internal/manifests"
	"github.com/modelroute/modelroute/translate"
)

// Stdin is the -f value that reads standard input.
const Stdin = "-"

// scheme knows the kinds render reads; they are decoded strictly,
// rejecting unknown and duplicate fields, as kubectl's default server-side
// validation would.
var scheme = runtime.NewScheme()

func init() {
	for _, k := range translate.InputKinds {
		if err := k.AddToScheme(scheme); err != nil {
			panic(err)
		}
	}
}

// InputError is malformed or unreadable input; render exits 2 on it.
type InputError struct {
	Source   string // file name, or "<stdin>"
	Document int    // 1-based document index, 0 when the whole file failed
	Err      error
}

func (e *InputError) Error() string {
	// The source is already named: don't repeat the path an os error carries.
	err := e.Err
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		err = pathErr.Err
	}
	if e.Document == 0 {
		return fmt.Sprintf("%s: %v", e.Source, err)
	}
	return fmt.Sprintf("%s: document %d: %v", e.Source, e.Document, err)
}

func (e *InputError) Unwrap() error { return e.Err }

// Load reads every path (file, directory searched recursively for *.yaml,
// *.yml and *.json, or "-" for stdin) and returns the InferenceModels and
// InferencePools in them. Objects without a namespace get defaultNamespace.
// Objects of other kinds are ignored.
func Load(paths []string, stdin io.Reader, defaultNamespace string) (translate.Input, error) {
	l := loader{defaultNamespace: defaultNamespace, seen: map[string]string{}}
	for _, p := range paths {
		if err := l.loadPath(p, stdin); err != nil {
			return translate.Input{}, err
		}
	}
	return l.in, nil
}

type loader struct {
	defaultNamespace string
	in               translate.Input
	seen             map[string]string // object identity -> where it was read
}

func (l *loader) loadPath(path string, stdin io.Reader) error {
	if path == Stdin {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return &InputError{Source: "<stdin>", Err: err}
		}
		return l.loadDocuments("<stdin>", data)
	}
	info, err := os.Stat(path)
	if err != nil {
		return &InputError{Source: path, Err: err}
	}
	if !info.IsDir() {
		return l.loadFile(path)
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && manifestExtension(p) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return &InputError{Source: path, Err: err}
	}
	slices.Sort(files)
	for _, f := range files {
		if err := l.loadFile(f); err != nil {
			return err
		}
	}
	return nil
}

func manifestExtension(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func (l *loader) loadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return &InputError{Source: path, Err: err}
	}
	return l.loadDocuments(path, data)
}

// loadDocuments loads every document of data. The documents are decoded on
// every CPU at once (decoding is most of render's time), then added in
// their order, so that the first problem in the input is the one reported,
// as if they were read one by one.
func (l *loader) loadDocuments(source string, data []byte) error {
	var raws [][]byte
	splitErr := manifests.Documents(data, func(_ int, raw []byte) error {
		raws = append(raws, raw)
		return nil
	})
	docs := make([]decodedDocument, len(raws))
	parallel(len(raws), func(i int) { docs[i], raws[i] = decodeDocument(raws[i]), nil })
	for i, d := range docs {
		for _, o := range d.objects {
			if err := l.add(source, i+1, o.obj); err != nil {
				return &InputError{Source: source, Document: i + 1, Err: o.within(err)}
			}
		}
		if d.err != nil {
			return &InputError{Source: source, Document: i + 1, Err: d.err}
		}
	}
	if de, ok := errors.AsType[*manifests.DocumentError](splitErr); ok {
		return &InputError{Source: source, Document: de.Document, Err: de.Err}
	}
	return splitErr
}

// parallel calls do(0..n-1) on GOMAXPROCS goroutines.
func parallel(n int, do func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(goruntime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				do(i)
			}
		})
	}
	wg.Wait()
}

// decodedDocument is what one document holds: the objects of ours it
// decoded, in order, and the error that stopped it, after them.
type decodedDocument struct {
	objects []decodedObject
	err     error
}

// decodedObject is an object of ours and where it is: the indexes of the
// List items it is nested in, outermost first.
type decodedObject struct {
	obj   runtime.Object
	items []int
}

// within says where the object is in an error about it.
func (o decodedObject) within(err error) error {
	for _, i := range slices.Backward(o.items) {
		err = fmt.Errorf("items[%d]: %w", i, err)
	}
	return err
}

// listKinds are wrappers whose items are decoded one by one, as kubectl does
// for `kubectl get -o yaml` output.
var listKinds = map[string]bool{"List": true}

// maxListDepth bounds Lists within Lists: each level decodes what it holds
// once more.
const maxListDepth = 8

func decodeDocument(raw []byte) decodedDocument {
	var d decodedDocument
	js, strictErr, err := yamlToJSON(raw)
	if err == nil {
		err = d.decodeJSON(js, nil, strictErr)
	}
	d.err = err
	return d
}

// decodeJSON decodes one object, or the items of a List, from JSON, at
// items. strictErr, when not nil, is why the YAML the JSON came from is not
// strictly valid (a key given twice): an error if the document holds one of
// our objects.
func (d *decodedDocument) decodeJSON(js []byte, items []int, strictErr error) error {
	if trimmed := bytes.TrimSpace(js); len(trimmed) == 0 || string(trimmed) == "null" {
		return nil // empty document
	}
	var head struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Items      []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(js, &head); err != nil {
		return fmt.Errorf("not a Kubernetes object: %w", err)
	}
	if head.APIVersion == "" || head.Kind == "" {
		return errors.New("not a Kubernetes object: apiVersion and kind are required")
	}
	gvk := schema.FromAPIVersionAndKind(head.APIVersion, head.Kind)
	if gvk.Group == "" && listKinds[gvk.Kind] {
		if len(items) >= maxListDepth {
			return fmt.Errorf("Lists nested more than %d deep are not supported", maxListDepth)
		}
		for i, item := range head.Items {
			if err := d.decodeJSON(item, append(slices.Clip(items), i), strictErr); err != nil {
				return fmt.Errorf("items[%d]: %w", i, err)
			}
		}
		return nil
	}
	if !scheme.Recognizes(gvk) || strings.HasSuffix(gvk.Kind, "List") {
		return nil // not ours: ignored
	}
	if strictErr != nil {
		return strictErr
	}
	obj, err := scheme.New(gvk)
	if err != nil {
		return err
	}
	// What a strict UniversalDeserializer does with JSON, without finding
	// the kind again: unknown and duplicate fields are errors.
	strictErrs, err := sjson.UnmarshalStrict(js, obj)
	if err != nil {
		return err
	}
	if len(strictErrs) > 0 {
		return runtime.NewStrictDecodingError(strictErrs)
	}
	d.objects = append(d.objects, decodedObject{obj: obj, items: items})
	return nil
}

func (l *loader) add(source string, doc int, obj runtime.Object) error {
	object, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	if object.GetNamespace() == "" {
		object.SetNamespace(l.defaultNamespace)
	}
	if errs := validation.IsDNS1123Subdomain(object.GetName()); len(errs) > 0 {
		return fmt.Errorf("metadata.name %q: %s", object.GetName(), strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Label(object.GetNamespace()); len(errs) > 0 {
		return fmt.Errorf("metadata.namespace %q: %s", object.GetNamespace(), strings.Join(errs, "; "))
	}
	gvk := obj.GetObjectKind().GroupVersionKind()
	id := fmt.Sprintf("%s %s/%s", gvk.GroupKind(), object.GetNamespace(), object.GetName())
	if prev, ok := l.seen[id]; ok {
		return fmt.Errorf("%s is also defined in %s", id, prev)
	}
	l.seen[id] = fmt.Sprintf("%s document %d", source, doc)
	if kind, ok := translate.InputKindOf(gvk); ok {
		kind.AddTo(&l.in, obj)
	}
	return nil
}

// yamlToJSON converts one YAML (or JSON) document to JSON. When the document
// is not strictly valid YAML for sigs.k8s.io/yaml (a key given twice,
// including one overriding a merge key), it returns the loose conversion and
// the strict error: for our objects that is an error, as on an API server
// with strict field validation (a reviewer must not read one modelName
// while modelroute routes another), while objects of other kinds stay
// ignored. A document whose aliases would expand it beyond its budget is an
// error whatever it holds (see checkAliasExpansion).
func yamlToJSON(raw []byte) (js []byte, strictErr, err error) {
	// An alias is spelled *name; without a '*' there is none (this also holds
	// for UTF-16 input, where '*' is the byte 0x2a next to a 0x00).
	if bytes.IndexByte(raw, '*') >= 0 {
		if err := checkAliasExpansion(raw); err != nil {
			return nil, nil, err
		}
	}
	if js, strictErr = yaml.YAMLToJSONStrict(raw); strictErr == nil {
		return js, nil, nil
	}
	if js, err = yaml.YAMLToJSON(raw); err != nil {
		return nil, nil, err
	}
	return js, strictErr, nil
}

// minExpansionBudget and expansionFactor bound what a document may expand
// to through YAML aliases: the larger of 8 MiB and 8 times its own size.
const (
	minExpansionBudget = 8 << 20
	expansionFactor    = 8
)

// checkAliasExpansion fails when YAML aliases would make raw's JSON form
// larger than its expansion budget. yaml.v2 (under sigs.k8s.io/yaml) only
// bounds the number of nodes decoded through aliases, not their size, and the
// JSON conversion writes an aliased node out in full at each reference: a
// 130 KB document (one 100 KB anchored string referenced 10,000 times) took
// 16 GB of allocations and 45 s, ten times as many references exhausted the
// memory. The check decodes with the same parser and walks the result,
// stopping as soon as the budget is spent.
func checkAliasExpansion(raw []byte) error {
	var doc any
	if err := yamlv2.Unmarshal(raw, &doc); err != nil {
		return nil // malformed: the conversion reports it
	}
	budget := max(minExpansionBudget, expansionFactor*int64(len(raw)))
	left := budget
	if !withinBudget(doc, &left) {
		return fmt.Errorf("YAML aliases expand the document to more than %d bytes", budget)
	}
	return nil
}

// withinBudget subtracts the approximate JSON size of v from left and
// reports whether anything is left.
func withinBudget(v any, left *int64) bool {
	*left--
	switch v := v.(type) {
	case string:
		*left -= int64(len(v))
	case map[any]any:
		for k, e := range v {
			if !withinBudget(k, left) || !withinBudget(e, left) {
				return false
			}
		}
	case []any:
		for _, e := range v {
			if !withinBudget(e, left) {
				return false
			}
		}
	default:
		*left -= 8
	}
	return *left >= 0
}
