#!/usr/bin/env bash
# Builds one real-SDK client (go, java or rust) from its pinned sources into
#   $HOME/.cache/pod-identity-agent/clients/<lang>-<hash of its lock and source files>/
# and prints that folder. The folder holds `client`, an executable taking the program's arguments.
# A second run with unchanged sources does nothing. Nothing is written inside the work tree.
# usage: test/clients/build.sh go|java|rust
set -euo pipefail
lang="${1:?usage: build.sh go|java|rust}"
here="$(cd "$(dirname "$0")" && pwd)"
src="$here/$lang"
[ -d "$src" ] || { echo "build.sh: no client sources for '$lang'" >&2; exit 2; }
cache="${POD_IDENTITY_AGENT_CACHE:-$HOME/.cache/pod-identity-agent}/clients"
mkdir -p "$cache"

case "$lang" in
  go) inputs=(go.mod go.sum main.go) ;;
  java) inputs=(pom.xml $(cd "$src" && find src -type f | sort)) ;;
  rust) inputs=(Cargo.toml Cargo.lock $(cd "$src" && find src -type f | sort)) ;;
  *) echo "build.sh: unknown language '$lang'" >&2; exit 2 ;;
esac
hash=$(cd "$src" && cat "$here/build.sh" "${inputs[@]}" | sha256sum | cut -c1-16)
out="$cache/$lang-$hash"

exec 9>"$cache/.$lang.lock"
flock 9
if [ -x "$out/client" ]; then echo "$out"; exit 0; fi
stage="$(mktemp -d "$cache/.$lang-stage.XXXXXX")"
trap 'rm -rf "$stage"' EXIT

case "$lang" in
  go)
    (cd "$src" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly \
      go build -trimpath -ldflags '-s -w' -o "$stage/client" .) >&2
    ;;
  java)
    cp -r "$src/pom.xml" "$src/src" "$stage/"
    (cd "$stage" && mvn -q -B package dependency:build-classpath -Dmdep.outputFile=classpath.txt \
      -Dmaven.test.skip=true) >&2
    mv "$stage/target/classes" "$stage/classes"
    rm -rf "$stage/target" "$stage/src" "$stage/pom.xml"
    java="$(command -v java)"
    printf '#!/bin/sh\nexec %s -XX:TieredStopAtLevel=1 -cp "%s/classes:%s" podid.Main "$@"\n' \
      "$java" "$out" "$(cat "$stage/classpath.txt")" >"$stage/client"
    chmod +x "$stage/client"
    ;;
  rust)
    # One target folder for every version keeps incremental rebuilds cheap.
    (cd "$src" && CARGO_TARGET_DIR="$cache/rust-target" cargo build --locked --quiet) >&2
    cp "$cache/rust-target/debug/podid-rust-client" "$stage/client"
    ;;
esac

rm -rf "$out"
mv "$stage" "$out"
trap - EXIT
echo "$out"
