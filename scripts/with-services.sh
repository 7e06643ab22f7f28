#!/usr/bin/env bash
# Starts a private Redis and PostgreSQL on 127.0.0.1 (non-default ports) in a temp dir, exports REDIS_URL and
# DATABASE_URL (plus POSTGRES_*), runs the given command, then stops both by PID. Exit code: the command's.
# Set REDIS_URL / DATABASE_URL beforehand to use servers of your own instead (nothing is started then).
set -euo pipefail

REDIS_PORT="${JOYCITY_TEST_REDIS_PORT:-6390}"
PG_PORT="${JOYCITY_TEST_PG_PORT:-5440}"
WORK="$(mktemp -d /tmp/joycity-services.XXXXXX)"
STARTED_REDIS=""
STARTED_PG=""

cleanup() {
  if [ -n "$STARTED_REDIS" ] && [ -f "$WORK/redis.pid" ]; then kill "$(cat "$WORK/redis.pid")" 2>/dev/null || true; fi
  if [ -n "$STARTED_PG" ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -z "${REDIS_URL:-}" ]; then
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" \
    --daemonize yes --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log"
  STARTED_REDIS=1
  for _ in $(seq 1 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
fi

if [ -z "${DATABASE_URL:-}" ]; then
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  chown postgres "$WORK"
  mkdir -p "$WORK/pg" "$WORK/sock" "$WORK/log"
  chown postgres "$WORK/pg" "$WORK/sock" "$WORK/log"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$WORK/pg" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/log/pg.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $WORK/sock -c fsync=off" start >/dev/null
  STARTED_PG=1
  export POSTGRES_HOST=127.0.0.1 POSTGRES_PORT="$PG_PORT" POSTGRES_USER=postgres POSTGRES_DB=postgres
  export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
fi

set +e
"$@"
status=$?
set -e
exit $status
