#!/usr/bin/env bash
# The test command of the README: builds the solution and runs every test project.
set -euo pipefail
cd "$(dirname "$0")"
dotnet build Sam3Serve.slnx -c Release
dotnet test Sam3Serve.slnx -c Release --no-build "$@"
