#!/usr/bin/env bash
# usage: tools/helm/build.sh   (prints the path of the helm binary, building it first when missing)
# Builds the Helm version pinned in tools/helm/go.mod into
# ${POD_IDENTITY_AGENT_CACHE:-$HOME/.cache/pod-identity-agent}/helm/<version>/helm; a second run
# finds it and builds nothing.
set -euo pipefail
cd "$(dirname "$0")"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly
VERSION=$(go list -m -f '{{.Version}}' helm.sh/helm/v3)
# Helm's Makefile stamps the Kubernetes version of its client-go into the binary (the version
# `helm template` and `helm lint` assume); without it they assume v1.20.
K8S_MINOR=$(go list -m -f '{{.Version}}' k8s.io/client-go | cut -d. -f2)
OUT="${POD_IDENTITY_AGENT_CACHE:-$HOME/.cache/pod-identity-agent}/helm/$VERSION"
if [ ! -x "$OUT/helm" ]; then
  mkdir -p "$OUT"
  X="-X helm.sh/helm/v3/internal/version.version=$VERSION"
  for pkg in pkg/chartutil pkg/lint/rules; do
    X="$X -X helm.sh/helm/v3/$pkg.k8sVersionMajor=1 -X helm.sh/helm/v3/$pkg.k8sVersionMinor=$K8S_MINOR"
  done
  go build -trimpath -ldflags "-s -w $X" \
    -o "$OUT/helm.tmp" helm.sh/helm/v3/cmd/helm
  mv "$OUT/helm.tmp" "$OUT/helm"
fi
"$OUT/helm" version --short >&2
echo "$OUT/helm"
