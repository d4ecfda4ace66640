#!/bin/sh
# Runs the AWS CLI the way a script in a pod does: every command is a new process that resolves
# credentials through the CLI's default chain. Prints one JSON line per command; the access key is
# read from the signed request in the CLI's --debug log.
# usage: client.sh sts | put <bucket> <key> | loop <seconds> <count> <action...>
set -u
one() {
  log=$(mktemp)
  case "$1" in
    sts) aws --debug sts get-caller-identity --output text --query Arn >"$log.out" 2>"$log" ;;
    put) printf 'written by the AWS CLI' >"$log.body"
      aws --debug s3api put-object --bucket "$2" --key "$3" --body "$log.body" >"$log.out" 2>"$log" ;;
    *) echo "unknown action $1" >"$log"; false ;;
  esac
  rc=$?
  key=$(grep -o 'Credential=[A-Z0-9]*' "$log" | tail -1 | cut -d= -f2)
  at=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
  if [ "$rc" -eq 0 ]; then
    arn=$(grep -o 'arn:aws:[^[:space:]]*' "$log.out" | head -1)
    printf '{"sdk":"cli","action":"%s","ok":true,"accessKeyId":"%s","arn":"%s","at":"%s"}\n' "$1" "$key" "$arn" "$at"
  else
    # The last line the CLI printed for the user (not the debug log), as JSON.
    err=$(grep -v '^[0-9-]* [0-9:,]* - ' "$log" | grep -v '^\s*$' | tail -1)
    python3 -c 'import json,sys; print(json.dumps({"sdk":"cli","action":sys.argv[1],"ok":False,"error":sys.argv[2],"at":sys.argv[3]}))' "$1" "$err" "$at"
  fi
  rm -f "$log" "$log.out" "$log.body"
  return $rc
}
[ $# -gt 0 ] || { echo "usage: client.sh sts | put <bucket> <key> | loop <seconds> <count> <action...>" >&2; exit 2; }
if [ "$1" != loop ]; then one "$@"; exit $?; fi
seconds=$2; count=$3; shift 3
i=0
while [ "$i" -lt "$count" ]; do
  [ "$i" -eq 0 ] || sleep "$seconds"
  one "$@"
  i=$((i + 1))
done
exit 0
