#!/usr/bin/env bash
# Helm, pinned in tools/helm/go.mod, built from the Go module proxy into
# ${POD_IDENTITY_AGENT_CACHE:-$HOME/.cache/pod-identity-agent}/helm/<version>/helm (the chart tests look
# for it there).
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/helm/build.sh
