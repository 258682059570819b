# Sourced by the build scripts in tools/*/: a cache of built binaries outside
# the clone, keyed by the pins, so that a fresh clone (CI's) reuses them.
#
#   cache_begin NAME RECIPE FILE...
#       The cache directory is
#       ${MODELROUTE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/modelroute}/NAME-<key>,
#       <key> hashing RECIPE and the FILEs (the pins). If the caller's
#       complete_in DIR says it holds a build, prints it and exits 0.
#       Otherwise sets $dest to it and $tmp to a fresh build directory beside
#       it (removed on exit), and sets the Go environment for the build.
#   cache_publish
#       Renames $tmp to $dest atomically (an interrupted build never leaves a
#       half-filled cache) and prints $dest as the last line of stdout.

cache_begin() {
  local name=$1 recipe=$2 key root
  shift 2
  key="$({ printf 'recipe=%s\n' "$recipe"; cat "$@"; } | sha256sum | cut -c1-12)"
  root="${MODELROUTE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/modelroute}"
  mkdir -p "$root"
  root="$(cd "$root" && pwd -P)"
  dest="$root/$name-$key"
  if complete_in "$dest"; then
    echo "$dest"
    exit 0
  fi
  # A dest dir without all binaries (deleted by hand?) is not trusted.
  [[ -e "$dest" ]] && rm -rf "$dest"
  # Leftovers of builds killed too hard to clean up after themselves.
  find "$root" -maxdepth 1 -name ".$name-*.tmp.*" -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
  tmp="$(mktemp -d "$root/.$name-$key.tmp.XXXXXX")"
  chmod 755 "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  # Build from the tools modules only, whatever the caller's Go settings.
  export GOWORK=off GOFLAGS=-buildvcs=false CGO_ENABLED=0
}

cache_publish() {
  # If a concurrent build won the race, keep its result.
  if ! mv -T "$tmp" "$dest" 2>/dev/null; then
    complete_in "$dest" || { echo "cannot move the build into $dest" >&2; exit 1; }
  fi
  trap - EXIT
  rm -rf "$tmp"
  echo "$dest"
}
