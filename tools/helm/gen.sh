#!/usr/bin/env bash
# usage: tools/helm/gen.sh v3.22.0   (creates or updates tools/helm/go.mod and go.sum)
# Helm is pinned as a Go tool module, so the version and every dependency's hash are in the repository.
set -euo pipefail
HELM="${1:?e.g. v3.22.0}"
cd "$(dirname "$0")"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
[ -f go.mod ] || go mod init local.invalid/helm-tool
go get -tool "helm.sh/helm/v3/cmd/helm@$HELM"
go mod tidy
