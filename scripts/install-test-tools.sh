#!/usr/bin/env bash
# Install the programs the test suite runs for real (Debian packages, one apt-get run):
#   chromium, chromium-driver, fonts-dejavu-core  headless browser for the HTML report tests
#   raptor2-utils                                  `rapper`, the independent parser of the dumps
#   virtuoso-opensource                            a SPARQL server for the remote-store tests
#   libapache-jena-java, default-jdk-headless      Apache Jena 4.5 (ARQ, SHACL) for the
#                                                  differential tests (jars only; the tests
#                                                  build the classpath, tests/differential/jena.py)
# and, from npm, axe-core into test-tools/ (the accessibility checker the site tests inject
# into pages; needs npm, and the registry the first time: offline, it says so and goes on).
# (Oxigraph's server comes from PyPI with the `test` extra.) Idempotent: installs only what is
# missing. Needs root or sudo, and apt-get.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
axe="$root/test-tools/node_modules/axe-core/axe.min.js"
if [ -f "$axe" ]; then
  echo "test tools: axe-core installed"
elif command -v npm >/dev/null 2>&1; then
  mkdir -p "$root/test-tools"
  if ! npm install --prefix "$root/test-tools" --no-audit --no-fund --no-save axe-core@4 >/dev/null; then
    echo "install-test-tools: npm could not install axe-core (offline?); the site's browser" \
         "tests will fail saying so (or set METROGRAPH_AXE to an axe.min.js)" >&2
  fi
else
  echo "install-test-tools: no npm here; install Node.js and npm, then run this again for" \
       "axe-core (or set METROGRAPH_AXE to an axe.min.js)" >&2
fi
need=()
[ -x /usr/bin/chromium ] || need+=(chromium chromium-driver fonts-dejavu-core)
command -v rapper >/dev/null 2>&1 || need+=(raptor2-utils)
{ command -v virtuoso-t && command -v isql-vt; } >/dev/null 2>&1 || need+=(virtuoso-opensource)
[ -f /usr/share/java/jena-arq.jar ] && [ -f /usr/share/java/jena-shacl.jar ] \
  || need+=(libapache-jena-java)
command -v javac >/dev/null 2>&1 || need+=(default-jdk-headless)
if [ ${#need[@]} -eq 0 ]; then
  echo "test tools: all installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-tools: no apt-get here; install ${need[*]} by hand, or set" \
       "METROGRAPH_SKIP_BROWSER=1 / METROGRAPH_SKIP_RAPPER=1 / METROGRAPH_SKIP_SERVERS=1" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
# virtuoso asks for a dba password; the tests make their own databases, so any will do
for q in dba-password dba-password-again; do
  echo "virtuoso-opensource-7 virtuoso-opensource-7/$q password dba" | $sudo debconf-set-selections
done
echo "installing: ${need[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
# the virtuoso package may start a system-wide server on 1111/8890: the tests do not use it
if command -v service >/dev/null 2>&1; then
  $sudo service virtuoso-opensource-7 stop >/dev/null 2>&1 || true
fi
