#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need, starts a private Redis and PostgreSQL,
# builds once (debug) and runs the whole suite against them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if command -v docker >/dev/null 2>&1; then
  # Offline check of the Swarm stack: unknown keys, wrong types, bad interpolation.
  docker stack config -c helm-free-swarm/stack.yml >/dev/null
  echo "helm-free-swarm/stack.yml: valid"
fi
# The format check (.swift-format, Hummingbird's settings): `swift format -i -r Sources Tests Package.swift` fixes it.
swift format lint --strict --parallel -r Sources Tests Package.swift
swift build --build-tests
# Serially: the suite holds timing checks (heartbeats, rate limits) and crash runs of real processes that a
# fully parallel run on 2 cores would starve (measured: ≈ 2.5 min serial).
exec scripts/with-services.sh swift test --skip-build --no-parallel "$@"
