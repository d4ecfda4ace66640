#!/usr/bin/env bash
# tinyproxy: the real HTTP forward proxy the proxy tests start on loopback (test/exchange/proxy*.test.ts).
# Only the binary is needed: the package's system service is never started.
set -euo pipefail
if command -v tinyproxy >/dev/null 2>&1; then
  echo "tinyproxy already installed: $(tinyproxy -v 2>&1 | sed -n 1p)"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d 101: the package's maintainer scripts must not start the system service.
had_policy=false
[ -e /usr/sbin/policy-rc.d ] && had_policy=true
if [ "$had_policy" = false ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
fi
trap '[ "$had_policy" = false ] && rm -f /usr/sbin/policy-rc.d' EXIT
apt-get install -y -qq --no-install-recommends tinyproxy-bin || apt-get install -y -qq --no-install-recommends tinyproxy
command -v tinyproxy >/dev/null
echo "installed $(tinyproxy -v 2>&1 | sed -n 1p)"
