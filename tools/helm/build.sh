#!/usr/bin/env bash
# usage: tools/helm/build.sh   (prints the path of the helm binary, building it first when missing)
# Builds the Helm version pinned in tools/helm/go.mod into
# $HOME/.cache/pod-identity-agent/helm/<version>/helm; a second run finds it and builds nothing.
set -euo pipefail
cd "$(dirname "$0")"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly
VERSION=$(go list -m -f '{{.Version}}' helm.sh/helm/v3)
OUT="$HOME/.cache/pod-identity-agent/helm/$VERSION"
if [ ! -x "$OUT/helm" ]; then
  mkdir -p "$OUT"
  go build -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$VERSION" \
    -o "$OUT/helm.tmp" helm.sh/helm/v3/cmd/helm
  mv "$OUT/helm.tmp" "$OUT/helm"
fi
"$OUT/helm" version --short >&2
echo "$OUT/helm"
