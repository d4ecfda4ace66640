#!/usr/bin/env bash
# The real control plane the Kubernetes tests start: kube-apiserver and etcd built from the Go module
# proxy into $HOME/.cache/pod-identity-agent (cached by version; a warm run only checks the stamps).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v go >/dev/null || { echo "go is missing: the control-plane build needs Go 1.26" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is missing: the control-plane build needs it" >&2; exit 1; }
bash tools/build-control-plane.sh
