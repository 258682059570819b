package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/openai/openai-go/v3/option"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/modelroute/modelroute/api/v1alpha2"
	"github.com/modelroute/modelroute/conformance"
	"github.com/modelroute/modelroute/translate"
)

// cleanups is the demo's conformance.Scope: teardowns run at exit.
type cleanups struct{ fns []func() }

func (c *cleanups) Cleanup(f func())               { c.fns = append(c.fns, f) }
func (c *cleanups) Errorf(format string, a ...any) { say("error: "+format, a...) }
func (c *cleanups) Logf(format string, a ...any)   { say(format, a...) }
func (c *cleanups) run() {
	for _, f := range slices.Backward(c.fns) {
		f()
	}
}

// deployPools starts two model servers for every pool of the samples, each
// serving the names the pool's models need (conformance.ServedNames).
func deployPools(ctx context.Context, s *conformance.Suite, scope conformance.Scope) error {
	var models v1alpha2.InferenceModelList
	if err := s.Client.List(ctx, &models, client.InNamespace(namespace)); err != nil {
		return err
	}
	var in translate.Input
	for _, kind := range translate.KindsOf(translate.KindInferencePool) {
		list := kind.NewList()
		if err := s.Client.List(ctx, list, client.InNamespace(namespace)); err != nil {
			return err
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return err
		}
		for _, item := range items {
			kind.AddTo(&in, item)
		}
	}
	var pools []conformance.Pool
	for _, p := range translate.Pools(in) {
		pools = append(pools, conformance.Pool{Group: p.Group, Name: p.Name, Selector: p.Selector, TargetPort: p.TargetPort, Replicas: 2})
	}
	rewrites, err := rewritesIn(ctx, s.Client)
	if err != nil {
		return err
	}
	for _, p := range pools {
		p.Models = slices.Compact(slices.Sorted(slices.Values(slices.Concat(
			conformance.ServedNames(models.Items, p), conformance.RewriteServedNames(rewrites, p)))))
		if err := s.Backends.Deploy(ctx, scope, namespace, p); err != nil {
			return err
		}
		say("started 2 model servers for InferencePool %s (%s), serving %s", p.Name, p.Group, strings.Join(p.Models, ", "))
	}
	return nil
}

// waitProgrammed waits until every model that has a route attached to a
// Gateway is Programmed, or its Programmed condition has stayed the same for
// five seconds (a Gateway that keeps refusing a route).
func waitProgrammed(ctx context.Context, c client.Client) error {
	pending := 0
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		var models v1alpha2.InferenceModelList
		if err := c.List(ctx, &models, client.InNamespace(namespace)); err != nil {
			return false, err
		}
		rewrites, err := rewritesIn(ctx, c)
		if err != nil {
			return false, err
		}
		var conditions [][]metav1.Condition
		for _, m := range models.Items {
			conditions = append(conditions, m.Status.Conditions)
		}
		for _, rw := range rewrites {
			conditions = append(conditions, rw.Status.Conditions)
		}
		pending = 0
		for _, cs := range conditions {
			c := meta.FindStatusCondition(cs, translate.ConditionProgrammed)
			waiting := c != nil && (c.Status == metav1.ConditionUnknown ||
				c.Reason == translate.ReasonRouteNotAccepted && time.Since(c.LastTransitionTime.Time) < 5*time.Second)
			if waiting {
				pending++
			}
		}
		return pending == 0, nil
	})
	if err != nil {
		return fmt.Errorf("%d models and rewrites still wait for the Gateway: %w", pending, err)
	}
	return nil
}

// request is one row of the demo's table: a model name and the Host its
// requests carry ("" for none).
type request struct{ modelName, host string }

// requests lists what the demo sends: each model name once per hostname its
// routes have (the first of each route; none for a route without
// hostnames or a model without a route), and a name no model has. served
// are the rows of Programmed models: the Gateway must answer them.
func requests(ctx context.Context, c client.Client) (rows, served []request, err error) {
	var models v1alpha2.InferenceModelList
	if err := c.List(ctx, &models, client.InNamespace(namespace)); err != nil {
		return nil, nil, err
	}
	var routes gatewayv1.HTTPRouteList
	if err := c.List(ctx, &routes, client.InNamespace(namespace)); err != nil {
		return nil, nil, err
	}
	hostOf := map[string]string{} // route name -> Host of its requests
	for _, r := range routes.Items {
		hostOf[r.Name] = ""
		if len(r.Spec.Hostnames) > 0 {
			hostOf[r.Name] = concreteHost(string(r.Spec.Hostnames[0]))
		}
	}
	set := map[request]bool{{modelName: "no-such-model"}: true}
	routed := map[string]bool{}
	for _, m := range models.Items {
		host, ok := hostOf[translate.RouteName(m.Name)]
		if !ok {
			continue
		}
		row := request{m.Spec.ModelName, host}
		set[row], routed[m.Spec.ModelName] = true, true
		if meta.IsStatusConditionTrue(m.Status.Conditions, translate.ConditionProgrammed) {
			served = append(served, row)
		}
	}
	for _, m := range models.Items {
		if !routed[m.Spec.ModelName] {
			set[request{modelName: m.Spec.ModelName}] = true
		}
	}
	// A rewrite's names are those its route matches (precedence may have
	// taken some of its rules' names).
	rewrites, err := rewritesIn(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	for _, rw := range rewrites {
		i := slices.IndexFunc(routes.Items, func(r gatewayv1.HTTPRoute) bool { return r.Name == translate.RouteName(rw.Name) })
		if i < 0 {
			continue
		}
		for _, rule := range routes.Items[i].Spec.Rules {
			for _, match := range rule.Matches {
				for _, h := range match.Headers {
					row := request{h.Value, hostOf[routes.Items[i].Name]}
					set[row] = true
					if meta.IsStatusConditionTrue(rw.Status.Conditions, translate.ConditionProgrammed) && !slices.Contains(served, row) {
						served = append(served, row)
					}
				}
			}
		}
	}
	rows = slices.Collect(maps.Keys(set))
	slices.SortFunc(rows, func(a, b request) int {
		return cmp.Or(strings.Compare(a.modelName, b.modelName), strings.Compare(a.host, b.host))
	})
	return rows, served, nil
}

// rewritesIn are the InferenceModelRewrites of the demo's namespace, of
// every group (translate.InputKinds).
func rewritesIn(ctx context.Context, c client.Client) ([]v1alpha2.InferenceModelRewrite, error) {
	var in translate.Input
	for _, kind := range translate.KindsOf(translate.KindInferenceModelRewrite) {
		list := kind.NewList()
		if err := c.List(ctx, list, client.InNamespace(namespace)); err != nil {
			return nil, err
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return nil, err
		}
		for _, item := range items {
			kind.AddTo(&in, item)
		}
	}
	return in.Rewrites, nil
}

// concreteHost is a name a route hostname matches: a wildcard's "*" becomes
// "demo".
func concreteHost(hostname string) string {
	if rest, ok := strings.CutPrefix(hostname, "*"); ok {
		return "demo" + rest
	}
	return hostname
}

// sendBurst sends n requests for every model name through the router, as
// an OpenAI client does (the official Go SDK, the body alone, no routing
// header), with the Host of its route, and tabulates which server answered
// and the name it served (the replies' "model").
func sendBurst(ctx context.Context, c client.Client, s *conformance.Suite, n int, w io.Writer) error {
	rows, served, err := requests(ctx, c)
	if err != nil {
		return err
	}
	// The Gateway accepts a route before its data plane has loaded it.
	for _, row := range served {
		if err := waitServed(ctx, s, row); err != nil {
			return err
		}
	}
	withHosts := slices.ContainsFunc(rows, func(r request) bool { return r.host != "" })
	fmt.Fprintf(w, "\n# %d requests per model name through the router at %s (the Go SDK: the body's model, no headers)\n", n, s.OpenAIBaseURL)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	header := "MODEL NAME\tSTATUS\tANSWERED BY\tSERVED AS (the reply's model)"
	if withHosts {
		header = "MODEL NAME\tHOST\tSTATUS\tANSWERED BY\tSERVED AS (the reply's model)"
	}
	fmt.Fprintln(tw, header)
	for _, row := range rows {
		statuses, pods, models := map[string]int{}, map[string]int{}, map[string]int{}
		for range n {
			status, reply, err := send(ctx, s, row)
			if err != nil {
				return err
			}
			statuses[status]++
			if reply != nil {
				pods[reply.Pod]++
				models[reply.Model]++
			}
		}
		cells := []string{row.modelName}
		if withHosts {
			cells = append(cells, cmp.Or(row.host, "-"))
		}
		cells = append(cells, tally(statuses), tally(pods), tally(models))
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// waitServed waits until a request gets an answer from a server.
func waitServed(ctx context.Context, s *conformance.Suite, r request) error {
	status := ""
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		var reply *conformance.Reply
		var err error
		status, reply, err = send(ctx, s, r)
		return reply != nil, err
	})
	if err != nil && status != "" {
		return fmt.Errorf("requests for %q (Host %q) still get %s: %w", r.modelName, r.host, status, err)
	}
	return err
}

// send sends one chat request for the row and returns the HTTP status and,
// for a 200, the reply; err is for a request that got no answer at all.
func send(ctx context.Context, s *conformance.Suite, r request) (string, *conformance.Reply, error) {
	var opts []option.RequestOption
	if r.host != "" {
		opts = s.AsHost(r.host)
	}
	reply, err := s.Chat(ctx, r.modelName, opts...)
	if err == nil {
		return "200 OK", &reply, nil
	}
	if code := conformance.StatusOf(err); code != 0 {
		return fmt.Sprintf("%d %s", code, http.StatusText(code)), nil, nil
	}
	return "", nil, err
}

func tally(counts map[string]int) string {
	if len(counts) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(counts))
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s×%d", k, counts[k]))
	}
	return strings.Join(parts, ", ")
}
