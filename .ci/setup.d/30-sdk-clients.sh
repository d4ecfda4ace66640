#!/usr/bin/env bash
# Builds the Go, Java and Rust SDK clients the end-to-end tests run, into the cache outside the work
# tree (a no-op when their sources are unchanged). Fails loudly if a toolchain is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in go java mvn cargo; do
  command -v "$tool" >/dev/null || { echo "30-sdk-clients: $tool is not installed" >&2; exit 1; }
done
# The three builds overlap: Go and Maven mostly download, Rust mostly compiles.
pids=()
for lang in go java rust; do
  ( start=$(date +%s)
    dir=$(bash test/clients/build.sh "$lang")
    echo "30-sdk-clients: $lang client in $dir ($(( $(date +%s) - start )) s)" ) &
  pids+=("$!")
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit "$status"
