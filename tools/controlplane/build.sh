#!/usr/bin/env bash
# Builds a local Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager) for controller-runtime envtest from the Go modules
# pinned in this directory, and prints the directory holding the binaries as the
# LAST line of stdout (progress goes to stderr):
#
#   KUBEBUILDER_ASSETS="$(tools/controlplane/build.sh)"
#
# - KUBEBUILDER_ASSETS already set and holding the three binaries: used as is.
# - Otherwise the binaries live in
#     ${MODELROUTE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/modelroute}/controlplane-<key>
#   where <key> hashes the pins (go.mod/go.sum of both modules, etcd/main.go and
#   RECIPE below), so they are rebuilt only when the pins change.
# - A build goes to a temp dir inside the cache and is renamed into place at the
#   end, so an interrupted build never leaves a half-filled cache dir.
set -euo pipefail

# Bump when the way the binaries are built changes (flags, ldflags, ...).
RECIPE=1

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
bins=(etcd kube-apiserver kube-controller-manager)

log() { printf 'controlplane: %s %s\n' "$(date -u +%H:%M:%SZ)" "$*" >&2; }

complete_in() {
  local b
  for b in "${bins[@]}"; do
    [[ -f "$1/$b" && -x "$1/$b" ]] || return 1
  done
}

if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
  if complete_in "$KUBEBUILDER_ASSETS"; then
    (cd "$KUBEBUILDER_ASSETS" && pwd -P)
    exit 0
  fi
  log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks ${bins[*]}; using the pinned build instead"
fi

# shellcheck source=../cache.sh
source "$here/../cache.sh"
cache_begin controlplane "$RECIPE" "$here/go.mod" "$here/go.sum" "$here/etcd/go.mod" "$here/etcd/go.sum" "$here/etcd/main.go"

# Version stamping as kubernetes' hack/lib/version.sh does it, derived from the
# pin so that `kube-apiserver --version` and /version report e.g. v1.37.2
# instead of v0.0.0-master.
kube_version="$(cd "$here" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
kube_date="$(cd "$here" && go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)"
if [[ "$kube_version" =~ ^v([0-9]+)\.([0-9]+)\. ]]; then
  kube_major="${BASH_REMATCH[1]}" kube_minor="${BASH_REMATCH[2]}"
else
  echo "controlplane: cannot parse k8s.io/kubernetes version '$kube_version'" >&2
  exit 1
fi
kube_ldflags="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  kube_ldflags+=" -X $pkg.gitVersion=$kube_version"
  kube_ldflags+=" -X $pkg.gitMajor=$kube_major -X $pkg.gitMinor=$kube_minor"
  kube_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$kube_date"
done

build() { # name, module dir, package, ldflags, estimate
  local start=$SECONDS
  log "building $1 ($5)…"
  (cd "$2" && go build -trimpath -ldflags "$4" -o "$tmp/$1" "$3")
  log "built $1 in $((SECONDS - start))s"
}

log "building control plane $kube_version into $dest"
build etcd "$here/etcd" . "-s -w" "cold build takes ~1 min on 2 cores"
build kube-apiserver "$here" k8s.io/kubernetes/cmd/kube-apiserver "$kube_ldflags" \
  "cold build takes ~4-5 min on 2 cores"
build kube-controller-manager "$here" k8s.io/kubernetes/cmd/kube-controller-manager "$kube_ldflags" \
  "cold build takes ~1.5 more min on 2 cores"

cache_publish
