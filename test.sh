#!/usr/bin/env bash
# The test command of the README: builds the solution, runs every test project, then the playground's
# browser tests against the server just built (src/Sam3Serve.Playground/test.sh).
set -euo pipefail
cd "$(dirname "$0")"
dotnet build Sam3Serve.slnx -c Release
dotnet test Sam3Serve.slnx -c Release --no-build "$@"
src/Sam3Serve.Playground/test.sh
