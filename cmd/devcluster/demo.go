package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	inferencev1 "github.com/modelroute/modelroute/api/v1"
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

// deployPools starts two echo model servers for every pool of the samples.
func deployPools(ctx context.Context, s *conformance.Suite, scope conformance.Scope) error {
	var pools []conformance.Pool
	var alpha v1alpha2.InferencePoolList
	if err := s.Client.List(ctx, &alpha, client.InNamespace(namespace)); err != nil {
		return err
	}
	for _, p := range alpha.Items {
		sel := map[string]string{}
		for k, v := range p.Spec.Selector {
			sel[string(k)] = string(v)
		}
		pools = append(pools, conformance.Pool{Group: translate.GroupInferenceAlpha, Name: p.Name,
			Selector: sel, TargetPort: p.Spec.TargetPortNumber, Replicas: 2})
	}
	var v1 inferencev1.InferencePoolList
	if err := s.Client.List(ctx, &v1, client.InNamespace(namespace)); err != nil {
		return err
	}
	for _, p := range v1.Items {
		sel := map[string]string{}
		for k, v := range p.Spec.Selector.MatchLabels {
			sel[string(k)] = string(v)
		}
		pools = append(pools, conformance.Pool{Group: translate.GroupInferenceV1, Name: p.Name,
			Selector: sel, TargetPort: int32(p.Spec.TargetPorts[0].Number), Replicas: 2})
	}
	for _, p := range pools {
		if err := s.Backends.Deploy(ctx, scope, namespace, p); err != nil {
			return err
		}
		say("started 2 echo model servers for InferencePool %s (%s)", p.Name, p.Group)
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
		pending = 0
		for _, m := range models.Items {
			c := meta.FindStatusCondition(m.Status.Conditions, translate.ConditionProgrammed)
			waiting := c != nil && (c.Status == metav1.ConditionUnknown ||
				c.Reason == translate.ReasonRouteNotAccepted && time.Since(c.LastTransitionTime.Time) < 5*time.Second)
			if waiting {
				pending++
			}
		}
		return pending == 0, nil
	})
	if err != nil {
		return fmt.Errorf("%d models still wait for the Gateway: %w", pending, err)
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
	rows = slices.Collect(maps.Keys(set))
	slices.SortFunc(rows, func(a, b request) int {
		return cmp.Or(strings.Compare(a.modelName, b.modelName), strings.Compare(a.host, b.host))
	})
	return rows, served, nil
}

// concreteHost is a name a route hostname matches: a wildcard's "*" becomes
// "demo".
func concreteHost(hostname string) string {
	if rest, ok := strings.CutPrefix(hostname, "*"); ok {
		return "demo" + rest
	}
	return hostname
}

// sendBurst sends n requests for every model name through the Gateway, as
// an OpenAI client would (Body-Based Routing's header set by the client),
// with the Host of its route, and tabulates which server answered and which
// target it was told to serve.
func sendBurst(ctx context.Context, c client.Client, s *conformance.Suite, n int, w io.Writer) error {
	rows, served, err := requests(ctx, c)
	if err != nil {
		return err
	}
	httpClient := &http.Client{Timeout: 5 * time.Second}
	// The Gateway accepts a route before its data plane has loaded it.
	for _, row := range served {
		if err := waitServed(ctx, httpClient, s, row); err != nil {
			return err
		}
	}
	withHosts := slices.ContainsFunc(rows, func(r request) bool { return r.host != "" })
	fmt.Fprintf(w, "\n# %d requests per model name through Traefik at %s\n", n, s.GatewayAddress)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	header := "MODEL NAME\tSTATUS\tANSWERED BY\tTARGET SEEN BY THE SERVER (" + s.RewriteHeader + ")"
	if withHosts {
		header = "MODEL NAME\tHOST\tSTATUS\tANSWERED BY\tTARGET SEEN BY THE SERVER (" + s.RewriteHeader + ")"
	}
	fmt.Fprintln(tw, header)
	for _, row := range rows {
		statuses, pods, targets := map[string]int{}, map[string]int{}, map[string]int{}
		for range n {
			status, reply, err := send(ctx, httpClient, s, row)
			if err != nil {
				return err
			}
			statuses[status]++
			if reply != nil {
				pods[reply.Pod]++
				target := http.Header(reply.Headers).Get(s.RewriteHeader)
				if target == "" {
					target = "(no header)"
				}
				targets[target]++
			}
		}
		cells := []string{row.modelName}
		if withHosts {
			cells = append(cells, cmp.Or(row.host, "-"))
		}
		cells = append(cells, tally(statuses), tally(pods), tally(targets))
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// waitServed waits until a request gets an answer from a server.
func waitServed(ctx context.Context, c *http.Client, s *conformance.Suite, r request) error {
	status := ""
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		var reply *conformance.EchoReply
		var err error
		status, reply, err = send(ctx, c, s, r)
		return reply != nil, err
	})
	if err != nil && status != "" {
		return fmt.Errorf("requests for %q (Host %q) still get %s from the Gateway: %w", r.modelName, r.host, status, err)
	}
	return err
}

func send(ctx context.Context, c *http.Client, s *conformance.Suite, r request) (string, *conformance.EchoReply, error) {
	body := fmt.Sprintf(`{"model": %q, "messages": [{"role": "user", "content": "hello"}]}`, r.modelName)
	req, err := http.NewRequestWithContext(ctx, "POST", "http://"+s.GatewayAddress+"/v1/chat/completions", strings.NewReader(body))
	if err != nil {
		return "", nil, err
	}
	if r.host != "" {
		req.Host = r.host
	}
	req.Header.Set(s.ModelHeader, r.modelName)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.Status, nil, nil
	}
	reply := &conformance.EchoReply{}
	if err := json.NewDecoder(resp.Body).Decode(reply); err != nil {
		return "", nil, err
	}
	return resp.Status, reply, nil
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
