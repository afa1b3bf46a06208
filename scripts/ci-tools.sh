#!/usr/bin/env bash
# Installs command-line tools that tests call, when missing: promtool (the gateway's metrics test
# pipes its scrape through `promtool check metrics`). Under CI=true that test fails without it;
# on a developer machine it skips loudly. Needs root and apt-get; elsewhere it says what to install.
set -uo pipefail

install_debian() {
  apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 \
    || { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1; }
}

if ! command -v promtool >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  install_debian prometheus
fi
if command -v promtool >/dev/null; then
  echo "promtool: $(promtool --version 2>&1 | head -n1)"
else
  echo "promtool: NOT AVAILABLE (apt-get install --no-install-recommends prometheus)"
fi
exit 0
