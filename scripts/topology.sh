#!/usr/bin/env bash
# The docker-compose topology on this machine, without Docker: PostgreSQL (the local server),
# one setup run, gunicorn with WEB_WORKERS processes, TIMER_WORKERS timer worker processes.
# Stops everything on Ctrl-C / SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PGURL=${PGURL:-postgresql://postgres@127.0.0.1:5432}
DBNAME=${DBNAME:-complaints}
PORT=${PORT:-8000}
WEB_WORKERS=${WEB_WORKERS:-2}
TIMER_WORKERS=${TIMER_WORKERS:-2}

psql "$PGURL/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='$DBNAME'" | grep -q 1 \
  || psql "$PGURL/postgres" -c "CREATE DATABASE $DBNAME" >/dev/null
export DATABASE_URL="$PGURL/$DBNAME"
export SECRET_KEY=${SECRET_KEY:-$(python3 -c 'import secrets; print(secrets.token_hex(32))')}
# The history key must outlive this run (the database does): kept in a file made once, mode 600.
if [ -z "${COMPLAINTS_HISTORY_KEY:-}" ] && [ -z "${COMPLAINTS_HISTORY_KEY_FILE:-}" ]; then
  export COMPLAINTS_HISTORY_KEY_FILE=instance/topology-history.key
  if [ ! -f "$COMPLAINTS_HISTORY_KEY_FILE" ]; then
    mkdir -p instance && (umask 077 && python3 -c 'import secrets; print("topology:" + secrets.token_hex(32))' \
      > "$COMPLAINTS_HISTORY_KEY_FILE")
  fi
fi

$BIN/complaints setup
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
$BIN/gunicorn --bind "127.0.0.1:$PORT" --workers "$WEB_WORKERS" wsgi:app &
pids+=($!)
for _ in $(seq 1 "$TIMER_WORKERS"); do
  $BIN/complaints worker &
  pids+=($!)
done
echo "web on http://127.0.0.1:$PORT (gunicorn x$WEB_WORKERS), $TIMER_WORKERS timer workers, database $DBNAME"
wait -n "${pids[@]}"
