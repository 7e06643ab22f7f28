#!/usr/bin/env bash
# Starts a private Redis, PostgreSQL and local S3 (moto_server, signatures checked) on 127.0.0.1 (non-default
# ports) in a temp dir, exports REDIS_URL, DATABASE_URL (plus POSTGRES_*) and JOYCITY_TEST_S3_* (endpoint and an
# access key made through moto's IAM, and a bucket `joycity-dev-backups`), runs the given command, then stops them by PID. Exit code: the command's.
# Set REDIS_URL / DATABASE_URL / JOYCITY_TEST_S3_ENDPOINT beforehand to use servers of your own instead.
set -euo pipefail

REDIS_PORT="${JOYCITY_TEST_REDIS_PORT:-6390}"
PG_PORT="${JOYCITY_TEST_PG_PORT:-5440}"
S3_PORT="${JOYCITY_TEST_S3_PORT:-5450}"
WORK="$(mktemp -d /tmp/joycity-services.XXXXXX)"
STARTED_REDIS=""
STARTED_PG=""
STARTED_S3=""

cleanup() {
  if [ -n "$STARTED_S3" ]; then kill "$STARTED_S3" 2>/dev/null || true; fi
  if [ -n "$STARTED_REDIS" ] && [ -f "$WORK/redis.pid" ]; then kill "$(cat "$WORK/redis.pid")" 2>/dev/null || true; fi
  if [ -n "$STARTED_PG" ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap "exit 143" TERM INT

if [ -z "${REDIS_URL:-}" ]; then
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" --lazyfree-lazy-expire yes \
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

if [ -z "${JOYCITY_TEST_S3_ENDPOINT:-}" ]; then
  MOTO="$(command -v moto_server || true)"
  MOTO_PYTHON=python3
  if [ -z "$MOTO" ] && [ -x "$HOME/.cache/joycity/moto/bin/moto_server" ]; then
    MOTO="$HOME/.cache/joycity/moto/bin/moto_server"
    MOTO_PYTHON="$HOME/.cache/joycity/moto/bin/python"
  fi
  if [ -z "$MOTO" ]; then echo "moto_server not found: run scripts/install-deps.sh" >&2; exit 1; fi
  # The first three requests are unauthenticated (they create an IAM user and its key); every later one must carry
  # a valid AWS Signature V4.
  INITIAL_NO_AUTH_ACTION_COUNT=3 "$MOTO" -H 127.0.0.1 -p "$S3_PORT" >"$WORK/moto.log" 2>&1 &
  STARTED_S3=$!
  for _ in $(seq 1 150); do (exec 3<>"/dev/tcp/127.0.0.1/$S3_PORT") 2>/dev/null && break; sleep 0.2; done
  export JOYCITY_TEST_MOTO_SERVER="$MOTO"
  export JOYCITY_TEST_S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
  KEYS="$("$MOTO_PYTHON" - "$JOYCITY_TEST_S3_ENDPOINT" <<'PY'
import json, sys, boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
iam.create_user(UserName="joycity-test")
iam.put_user_policy(UserName="joycity-test", PolicyName="all", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="joycity-test")["AccessKey"]
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id=key["AccessKeyId"],
                  aws_secret_access_key=key["SecretAccessKey"])
s3.create_bucket(Bucket="joycity-dev-backups")  # for scripts/run-fleet.sh; tests make buckets of their own
print(key["AccessKeyId"], key["SecretAccessKey"])
PY
)"
  export JOYCITY_TEST_S3_ACCESS_KEY_ID="${KEYS%% *}"
  export JOYCITY_TEST_S3_SECRET_ACCESS_KEY="${KEYS#* }"
fi

# The Python tools of the tests (scripts/install-deps.sh): PyJWT and schemathesis, system-wide or in the venv.
if [ -x "$HOME/.cache/joycity/moto/bin/schemathesis" ]; then
  export JOYCITY_TEST_PYTHON="$HOME/.cache/joycity/moto/bin/python" JOYCITY_TEST_SCHEMATHESIS="$HOME/.cache/joycity/moto/bin/schemathesis"
else
  export JOYCITY_TEST_PYTHON="${JOYCITY_TEST_PYTHON:-python3}" JOYCITY_TEST_SCHEMATHESIS="${JOYCITY_TEST_SCHEMATHESIS:-schemathesis}"
fi

set +e
"$@"
status=$?
set -e
exit $status
