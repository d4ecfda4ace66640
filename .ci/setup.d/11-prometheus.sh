#!/usr/bin/env bash
# Prometheus and promtool from Debian, for the monitoring tests (rule checks and unit tests, a real
# scrape of a running agent). The package's own service must not run: the tests start Prometheus
# themselves on loopback with a generated configuration.
set -euo pipefail
if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
  prometheus --version 2>&1 | sed -n 1p
  exit 0
fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
# policy-rc.d answering 101 keeps dpkg from starting the service; an existing one is left as it is.
ADDED_POLICY=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  ADDED_POLICY=1
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends prometheus
[ -z "$ADDED_POLICY" ] || $SUDO rm -f /usr/sbin/policy-rc.d
# Whatever the init system, the packaged service stays stopped and disabled.
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
if [ -x /etc/init.d/prometheus ]; then $SUDO /etc/init.d/prometheus stop >/dev/null 2>&1 || true; fi
prometheus --version 2>&1 | sed -n 1p
promtool --version 2>&1 | sed -n 1p
