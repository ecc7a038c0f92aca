#!/usr/bin/env bash
# The playground's checks, run by ./test.sh after the .NET tests: type-check the TypeScript, check that the
# committed dist/app.js is what app/ builds to, then drive the page in headless Chromium against the built
# sam3serve (artifacts/bin/Sam3Serve.Cli/release/sam3serve). Without Node or Chromium it says so and skips,
# except under CI, where that is a failure (.ci/run installs both).
set -euo pipefail
cd "$(dirname "$0")"

skip() {
  if [ -n "${CI:-}" ]; then
    echo "error: playground tests cannot run in CI: $1" >&2
    exit 1
  fi
  echo "playground tests skipped: $1"
  exit 0
}

command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || skip "Node.js and npm are not installed"
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || skip "no Chromium at ${CHROMIUM_PATH:-/usr/bin/chromium} (apt-get install chromium)"

# Install exactly the lock file's packages, once per change of the lock file.
if ! cmp -s package-lock.json node_modules/.installed-lock.json 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.installed-lock.json
fi

npm run --silent check
npm test
