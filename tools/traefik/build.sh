#!/usr/bin/env bash
# Builds the Traefik proxy from the Go module pinned in this directory
# (github.com/traefik/traefik/v3, fetched through the Go module proxy like any
# other module) and prints the directory holding the `traefik` binary as the
# LAST line of stdout (progress goes to stderr):
#
#   traefik_dir="$(tools/traefik/build.sh)"
#   "$traefik_dir/traefik" version
#
# - TRAEFIK_BINARY already set to an executable file named traefik: its
#   directory is printed as is.
# - Otherwise the binary lives in
#     ${MODELROUTE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/modelroute}/traefik-<key>
#   where <key> hashes the pins (go.mod/go.sum and RECIPE below), so it is
#   rebuilt only when the pins change.
# - A build goes to a temp dir inside the cache and is renamed into place at the
#   end, so an interrupted build never leaves a half-filled cache dir.
set -euo pipefail

# Bump when the way the binary is built changes (flags, ldflags, ...).
RECIPE=1

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
bin=traefik
module=github.com/traefik/traefik/v3

log() { printf 'traefik: %s %s\n' "$(date -u +%H:%M:%SZ)" "$*" >&2; }

complete_in() { [[ -f "$1/$bin" && -x "$1/$bin" ]]; }

if [[ -n "${TRAEFIK_BINARY:-}" ]]; then
  if [[ "$(basename -- "$TRAEFIK_BINARY")" == "$bin" ]] && complete_in "$(dirname -- "$TRAEFIK_BINARY")"; then
    (cd "$(dirname -- "$TRAEFIK_BINARY")" && pwd -P)
    exit 0
  fi
  log "TRAEFIK_BINARY=$TRAEFIK_BINARY is not an executable file named $bin; using the pinned build instead"
fi

# shellcheck source=../cache.sh
source "$here/../cache.sh"
cache_begin traefik "$RECIPE" "$here/go.mod" "$here/go.sum"

# Version stamping as Traefik's Makefile and .goreleaser.yml do it, derived
# from the pin so that `traefik version` and /api/version report e.g. v3.6.12
# instead of dev. The codename is the one Traefik's release workflow sets for
# the v3.6 line (.github/workflows/release.yaml, CODENAME).
version="$(cd "$here" && go list -m -f '{{.Version}}' "$module")"
date="$(cd "$here" && go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' "$module")"
codename=ramequin
pkg="$module/pkg/version"
ldflags="-s -w -X $pkg.Version=$version -X $pkg.Codename=$codename -X $pkg.BuildDate=$date"

start=$SECONDS
log "building traefik $version into $dest (cold build takes ~8 min on 2 cores)…"
(cd "$here" && go build -trimpath -ldflags "$ldflags" -o "$tmp/$bin" "$module/cmd/traefik")
log "built traefik in $((SECONDS - start))s"

cache_publish
