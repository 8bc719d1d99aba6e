#!/usr/bin/env bash
# Install headless Chromium (Debian's chromium, chromium-driver) and the DejaVu fonts for the
# browser tests of the HTML report (tests/test_html_report.py). Idempotent: does nothing when
# /usr/bin/chromium is already there.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    echo "chromium is installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-chromium: no apt-get here; install Chromium by hand (or point" \
         "METROGRAPH_CHROMIUM at a Chromium or Chrome binary), or set" \
         "METROGRAPH_SKIP_BROWSER=1 to skip the browser tests" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver fonts-dejavu-core
echo "chromium is installed: $(/usr/bin/chromium --version 2>/dev/null)"
