package install

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/resid"
)

// RouterDeployment is the router's Deployment in config/router.
const RouterDeployment = "modelroute-router"

// RouterOptions select what Router sets.
type RouterOptions struct {
	// Image replaces the placeholder image, as Options.Image.
	Image string
	// GatewayURL is the Gateway's HTTP listener (its data plane's
	// Service), http://HOST:PORT: the router's --gateway.
	GatewayURL string
	// GatewayRef is the Gateway as NAMESPACE/NAME: --gateway-ref.
	GatewayRef string
}

// Router builds the router's kustomization in dir (config/router) with
// opts' image and Gateway, as one multi-document YAML.
func Router(dir string, opts RouterOptions) ([]byte, error) {
	img, err := parseImage(opts.Image)
	if err != nil {
		return nil, err
	}
	gatewayURL, err := url.Parse(opts.GatewayURL)
	if err != nil || (gatewayURL.Scheme != "http" && gatewayURL.Scheme != "https") || gatewayURL.Host == "" || strings.Trim(gatewayURL.Path, "/") != "" {
		return nil, fmt.Errorf("gateway URL %q: want http://HOST:PORT, the Service of the Gateway's data plane", opts.GatewayURL)
	}
	ns, name, ok := strings.Cut(opts.GatewayRef, "/")
	if !ok || len(validation.IsDNS1123Label(ns)) > 0 || len(validation.IsDNS1123Subdomain(name)) > 0 {
		return nil, fmt.Errorf("gateway ref %q: want NAMESPACE/NAME", opts.GatewayRef)
	}
	res, err := build(dir, func(base string) types.Kustomization {
		return types.Kustomization{Resources: []string{base}, Images: []types.Image{img}}
	})
	if err != nil {
		return nil, err
	}
	// The Gateway flags are replaced in place, the others kept.
	for _, r := range res.Resources() {
		if r.GetKind() != "Deployment" || r.GetName() != RouterDeployment {
			continue
		}
		obj, err := r.Map()
		if err != nil {
			return nil, err
		}
		raw, err := json.Marshal(obj)
		if err != nil {
			return nil, err
		}
		var d struct {
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Args []string `json:"args"`
						} `json:"containers"`
					} `json:"spec"`
				} `json:"template"`
			} `json:"spec"`
		}
		if err := json.Unmarshal(raw, &d); err != nil || len(d.Spec.Template.Spec.Containers) == 0 {
			return nil, fmt.Errorf("deployment %s: no container: %v", RouterDeployment, err)
		}
		args := slices.DeleteFunc(d.Spec.Template.Spec.Containers[0].Args, func(a string) bool {
			return strings.HasPrefix(a, "--gateway=") || strings.HasPrefix(a, "--gateway-ref=")
		})
		args = slices.Insert(args, min(1, len(args)), "--gateway="+gatewayURL.String(), "--gateway-ref="+opts.GatewayRef)
		patch, err := json.Marshal([]jsonPatchOp{{"replace", "/spec/template/spec/containers/0/args", args}})
		if err != nil {
			return nil, err
		}
		res, err = build(dir, func(base string) types.Kustomization {
			return types.Kustomization{Resources: []string{base}, Images: []types.Image{img}, Patches: []types.Patch{{
				Patch:  string(patch),
				Target: &types.Selector{ResId: resid.ResId{Gvk: resid.Gvk{Kind: "Deployment"}, Name: RouterDeployment}},
			}}}
		})
		if err != nil {
			return nil, err
		}
		return res.AsYaml()
	}
	return nil, fmt.Errorf("%s: no Deployment %s", dir, RouterDeployment)
}
