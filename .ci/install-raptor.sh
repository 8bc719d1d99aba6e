#!/usr/bin/env bash
# Install Raptor's `rapper` (Debian's raptor2-utils), the independent RDF parser the release
# tests use (tests/test_publish.py). Idempotent: does nothing when `rapper` is already on PATH.
set -euo pipefail
if command -v rapper >/dev/null 2>&1; then
    echo "rapper is installed: $(rapper --version)"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-raptor: no apt-get here; install Raptor 2 (rapper) by hand," \
         "or set METROGRAPH_SKIP_RAPPER=1 to skip the tests that need it" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends raptor2-utils
echo "rapper is installed: $(rapper --version)"
