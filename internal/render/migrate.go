package render

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/modelroute/modelroute/translate"
)

// MigrateOptions are `modelroute migrate`'s settings.
type MigrateOptions struct {
	Paths            []string
	DefaultNamespace string
	// Group is the successors' group: one of the groups of
	// translate.KindInferenceModelRewrite in translate.InputKinds.
	Group string
}

// Migrate prints, for every InferenceModel in the input, the
// InferenceModelRewrite and InferenceObjective that replace it: rewrites,
// then objectives, each by namespace and name, without status or server
// fields. Notes on what cannot be migrated exactly go to stderr and make
// the exit code ExitNotReady; the objects are printed all the same.
func Migrate(opts MigrateOptions, stdin io.Reader, stdout, stderr io.Writer) int {
	var groups []string
	for _, k := range translate.KindsOf(translate.KindInferenceModelRewrite) {
		groups = append(groups, k.Group)
	}
	if !slices.Contains(groups, opts.Group) {
		fmt.Fprintf(stderr, "error: --group %q: want one of %s\n", opts.Group, strings.Join(groups, ", "))
		return ExitBadInput
	}
	in, err := Load(opts.Paths, stdin, opts.DefaultNamespace)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return ExitBadInput
	}
	migration := translate.Migrate(in.Models, opts.Group)
	var objs []client.Object
	for i := range migration.Rewrites {
		objs = append(objs, &migration.Rewrites[i])
	}
	for i := range migration.Objectives {
		objs = append(objs, &migration.Objectives[i])
	}
	doc, err := manifestStream(objs)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return ExitBadInput
	}
	if _, err := stdout.Write(doc); err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return ExitBadInput
	}
	for _, note := range migration.Notes {
		fmt.Fprintf(stderr, "note: %s\n", note)
	}
	if len(in.Models) == 0 {
		fmt.Fprintln(stderr, "note: the input holds no InferenceModel")
	}
	if len(migration.Notes) > 0 {
		return ExitNotReady
	}
	return ExitOK
}
