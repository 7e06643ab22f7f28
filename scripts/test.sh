#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need, starts a private Redis and PostgreSQL,
# builds once (debug) and runs the whole suite against them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --build-tests
exec scripts/with-services.sh swift test --skip-build "$@"
