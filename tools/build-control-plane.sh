#!/usr/bin/env bash
# usage: tools/build-control-plane.sh
# Builds kube-apiserver (tools/k8s) and etcd (tools/etcd) from the Go module proxy into
#   ${POD_IDENTITY_AGENT_CACHE:-$HOME/.cache/pod-identity-agent}/k8s/<version>/kube-apiserver
#   ${POD_IDENTITY_AGENT_CACHE:-$HOME/.cache/pod-identity-agent}/etcd/<version>/etcd
# where <version> is the one pinned in the tool module's go.mod. A binary is rebuilt only when the
# stamp next to it (a hash of go.mod, go.sum and the build flags) differs, so a second run costs
# nothing. Any failure exits non-zero. Prints the two binaries' paths and versions at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${POD_IDENTITY_AGENT_CACHE:-$HOME/.cache/pod-identity-agent}
# A local toolchain only (a newer go line fails instead of downloading one); static binaries; the
# committed go.sum is the only source of truth.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"

# version <module dir> <module path>: the version the tool module requires.
version() { go mod edit -json "$1/go.mod" | jq -er --arg p "$2" '.Require[] | select(.Path == $p) | .Version'; }

# build <module dir> <out file> <package> [go build flags...]
build() {
  local dir=$1 out=$2 pkg=$3; shift 3
  local stamp want
  want=$(cat "$dir/go.mod" "$dir/go.sum" <(go version) <(printf '%s\n' "$pkg" "$@") | sha256sum | cut -c1-64)
  stamp="$out.stamp"
  if [ -x "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    echo "cached: $out"
    return
  fi
  mkdir -p "$(dirname "$out")"
  # One build of each binary at a time, even when two runs start together.
  exec {lock}>"$out.lock"
  flock "$lock"
  if [ -x "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    echo "cached: $out (built meanwhile)"
    exec {lock}>&-
    return
  fi
  echo "building $out (cold: many minutes; see docs/compatibility.md)"
  local timer=()
  [ -x /usr/bin/time ] && timer=(/usr/bin/time -f "built $(basename "$out") in %e s, peak RSS %M KiB")
  (cd "$dir" && "${timer[@]}" go build -trimpath "$@" -o "$out.tmp" "$pkg")
  mv "$out.tmp" "$out"
  echo "$want" >"$stamp"
  exec {lock}>&-
}

k8s=$(version "$here/k8s" k8s.io/kubernetes)
minor=$(cut -d. -f2 <<<"$k8s")
stamp_pkg=k8s.io/component-base/version
# Without these the binary reports v0.0.0-master, which kubectl's version-skew check dislikes.
ldflags="-s -w -X $stamp_pkg.gitVersion=$k8s -X $stamp_pkg.gitMajor=1 -X $stamp_pkg.gitMinor=$minor"
ldflags+=" -X $stamp_pkg.gitTreeState=clean -X $stamp_pkg.buildDate=1970-01-01T00:00:00Z"
apiserver="$cache/k8s/$k8s/kube-apiserver"
build "$here/k8s" "$apiserver" k8s.io/kubernetes/cmd/kube-apiserver -ldflags "$ldflags"

etcd_version=$(version "$here/etcd" go.etcd.io/etcd/server/v3)
etcd="$cache/etcd/$etcd_version/etcd"
build "$here/etcd" "$etcd" go.etcd.io/etcd/server/v3 -ldflags "-s -w"

"$apiserver" --version
"$etcd" --version | sed -n 1p
