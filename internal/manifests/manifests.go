// Package manifests reads streams of Kubernetes objects — YAML documents
// separated by "---", or JSON — and applies them with server-side apply.
// Everything in modelroute that reads or applies manifests goes through it.
package manifests

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// DocumentError is a document of a stream that cannot be split off.
type DocumentError struct {
	Document int // counted from 1
	Err      error
}

func (e *DocumentError) Error() string { return fmt.Sprintf("document %d: %v", e.Document, e.Err) }
func (e *DocumentError) Unwrap() error { return e.Err }

// Documents calls fn with each document of data, numbered from 1, and stops
// at the first error: a *DocumentError when the stream cannot be split,
// else fn's error as it is.
func Documents(data []byte, fn func(n int, doc []byte) error) error {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for n := 1; ; n++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return &DocumentError{Document: n, Err: err}
		}
		if err := fn(n, doc); err != nil {
			return err
		}
	}
}

// Objects decodes every document of data that holds an object; empty
// documents (comments only, "---" alone) are skipped.
func Objects(data []byte) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	err := Documents(data, func(n int, doc []byte) error {
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &obj.Object); err != nil {
			return &DocumentError{Document: n, Err: err}
		}
		if len(obj.Object) > 0 {
			objs = append(objs, obj)
		}
		return nil
	})
	return objs, err
}

// ReadFile is Objects of a file, its errors naming the file.
func ReadFile(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	objs, err := Objects(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return objs, nil
}

// Apply server-side applies each object with field manager owner, forcing
// ownership of the fields it sets when force is true.
func Apply(ctx context.Context, c client.Client, objs []*unstructured.Unstructured, owner string, force bool) error {
	opts := []client.ApplyOption{client.FieldOwner(owner)}
	if force {
		opts = append(opts, client.ForceOwnership)
	}
	for _, obj := range objs {
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), opts...); err != nil {
			return fmt.Errorf("applying %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
	}
	return nil
}
