#!/usr/bin/env bash
# The one run command (README): installs what the fleet needs, starts a private Redis, PostgreSQL and local S3
# (moto, in memory: backups last as long as the run) unless REDIS_URL / DATABASE_URL / S3_ENDPOINT point at servers
# of yours, builds, and runs `joycity all` until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# A release build links the Swift runtime statically, as the image and the benchmarks do (one release configuration:
# switching between static and dynamic rebuilds everything).
BUILD=(-c "${JOYCITY_BUILD:-debug}")
if [ "${JOYCITY_BUILD:-debug}" = release ]; then BUILD+=(--static-swift-stdlib); fi
swift build "${BUILD[@]}" --product joycity
BIN="$(swift build "${BUILD[@]}" --show-bin-path)/joycity"
# Tokens are sealed at rest: a development key is made once and kept out of git (.joycity-dev/).
if [ -z "${JOYCITY_SECRET_KEYS:-}" ]; then
  mkdir -p .joycity-dev
  [ -s .joycity-dev/secret-keys ] || echo "dev1:$(head -c 32 /dev/urandom | base64)" > .joycity-dev/secret-keys
  export JOYCITY_SECRET_KEYS="$(cat .joycity-dev/secret-keys)"
fi
# The API signs sessions with a development key made the same way; the first admin's password is kept there too.
if [ -z "${API_JWT_KEYS:-}" ]; then
  mkdir -p .joycity-dev
  [ -s .joycity-dev/jwt-keys ] || echo "dev1:$(head -c 32 /dev/urandom | base64)" > .joycity-dev/jwt-keys
  export API_JWT_KEYS="$(cat .joycity-dev/jwt-keys)"
fi
mkdir -p .joycity-dev
[ -s .joycity-dev/admin-password ] || head -c 18 /dev/urandom | base64 | tr -d '/+=' > .joycity-dev/admin-password
export JOYCITY_ADMIN_PASSWORD="$(cat .joycity-dev/admin-password)"
# Browsers keep Secure cookies on http://localhost; other hosts need https or API_COOKIE_SECURE=false.
export JOYCITY_TEST_REDIS_PORT="${JOYCITY_TEST_REDIS_PORT:-6379}" JOYCITY_TEST_PG_PORT="${JOYCITY_TEST_PG_PORT:-5432}"
if [ -n "${S3_ENDPOINT:-}" ]; then export JOYCITY_TEST_S3_ENDPOINT="$S3_ENDPOINT"; fi
# Backups go to the local S3 unless S3_* are set.
exec scripts/with-services.sh bash -c '
  if [ -z "${S3_ENDPOINT:-}" ]; then
    export S3_ENDPOINT="$JOYCITY_TEST_S3_ENDPOINT" S3_BUCKET=joycity-dev-backups
    export S3_ACCESS_KEY_ID="$JOYCITY_TEST_S3_ACCESS_KEY_ID" S3_SECRET_ACCESS_KEY="$JOYCITY_TEST_S3_SECRET_ACCESS_KEY"
  fi
  "$0" users create-admin admin --name Admin >/dev/null
  echo "Web UI: http://127.0.0.1:${API_PORT:-8080}/ (sign in as admin / $JOYCITY_ADMIN_PASSWORD); API: http://127.0.0.1:${API_PORT:-8080}/api (Swagger UI needs the SWAGGER role)" >&2
  echo "Proxy edge: http://127.0.0.1:${PROXY_PORT:-8090} (the demo manager: manager / the same password, on a fresh database)" >&2
  exec "$0" all "$@"' "$BIN" "$@"
