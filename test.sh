#!/usr/bin/env bash
# The test command of the README: builds the solution, runs every test project, then the real-architecture tests on
# the depth2 sam3-scale graphs (alone: one vision pass builds 1.7 GB attention tensors), then the playground's
# browser tests against the server just built (src/Sam3Serve.Playground/test.sh).
# SAM3SERVE_QUICK=1 ./test.sh leaves out the real-architecture tests (they report themselves skipped).
set -euo pipefail
cd "$(dirname "$0")"
dotnet build Sam3Serve.slnx -c Release

# The depth2 bundle (756 MB of random weights) is written once into the build output, never into git.
scale_dir=artifacts/scale/depth2
make_bundle=../shared/models/sam3-scale/make-bundle
if [ "${SAM3SERVE_QUICK:-0}" != 1 ] && [ -x "$make_bundle" ] && [ ! -f "$scale_dir/manifest.json" ]; then
  "$make_bundle" "$scale_dir" --set depth2 || echo "warning: could not write the depth2 bundle (python3-numpy?); the scale tests will report themselves skipped"
fi

dotnet test Sam3Serve.slnx -c Release --no-build --filter "Category!=Scale" "$@"
if [ "${SAM3SERVE_QUICK:-0}" != 1 ]; then
  dotnet test tests/Sam3Serve.Scale.Tests -c Release --no-build "$@"
fi
src/Sam3Serve.Playground/test.sh
