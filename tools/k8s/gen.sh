#!/usr/bin/env bash
# usage: tools/k8s/gen.sh v1.34.3   (creates or updates tools/k8s/go.mod and go.sum)
# k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with local folders, which a
# consumer does not see: each one is replaced here with its published tag, listed from the proxy's go.mod.
set -euo pipefail
K8S="${1:?e.g. v1.34.3}"; STG="v0.${K8S#v1.}"
cd "$(dirname "$0")"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
[ -f go.mod ] || go mod init local.invalid/k8s-tools
MODFILE=$(go mod download -json "k8s.io/kubernetes@$K8S" | jq -r .GoMod)
for m in $(go mod edit -json "$MODFILE" | jq -r '.Require[] | select(.Version=="v0.0.0") | .Path'); do
  go mod edit -replace="$m=$m@$STG"
done
GD=$(go mod edit -json "$MODFILE" | jq -r '(.GoDebug // [])[] | select(.Key=="default") | .Value')
[ -z "$GD" ] || go mod edit -godebug=default="$GD"
go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$K8S"
go mod tidy
