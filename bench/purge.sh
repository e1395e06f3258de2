#!/usr/bin/env bash
# Purge benchmark: ingest p99 latency of `leadpost serve` with and without a purge of 100,000
# old submission rows running beside it, on a fresh SQLite file and on PostgreSQL. Prints both
# p99 figures, their ratio, and how long the purge took, per store.
#
#   bench/purge.sh                  # defaults below
#   ROWS=100000 CONNECTIONS=16 DURATION=15s PG_URL=postgres://postgres@127.0.0.1:5432 bench/purge.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS="${ROWS:-100000}"
CONNECTIONS="${CONNECTIONS:-16}"
THREADS="${THREADS:-2}"
DURATION="${DURATION:-15s}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
PG_DB="${PG_DB:-leadpost_purge_bench}"
PORT="${PORT:-18182}"
TOKEN="purge-bench-token"

if ! command -v wrk >/dev/null; then
  echo "installing wrk..." >&2
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

# LEADPOST_BIN runs a binary already built (say a debug one) instead of building a release.
if [ -z "${LEADPOST_BIN:-}" ]; then
  cargo build --release --quiet
fi
BIN="${LEADPOST_BIN:-${CARGO_TARGET_DIR:-target}/release/leadpost}"
WORK=$(mktemp -d)
SERVER=""
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

FIELDS='[["name","Old Lead"],["email","old@example.com"],["phone","8015551234"],["notes","Roof leaks"]]'

# seed NAME URL ACCOUNT: ROWS submissions of the account, all made in 2001.
seed() {
  local name=$1 url=$2 account=$3
  if [ "$name" = sqlite ]; then
    sqlite3 "${url#sqlite://}" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS)
INSERT INTO submissions (id, account_id, outcome, fields, created_at)
SELECT printf('00000000-0000-7000-8000-%012d', i), '$account', 'accepted', '$FIELDS',
       '2001-01-01T00:00:00.000000Z' FROM n;
SQL
  else
    psql "$url" -q <<SQL
INSERT INTO submissions (id, account_id, outcome, fields, created_at)
SELECT md5(i::text)::uuid, '$account', 'accepted', '$FIELDS'::jsonb, '2001-01-01T00:00:00Z'
FROM generate_series(1, $ROWS) AS i;
SQL
  fi
}

# load NAME LABEL: wrk against the running server; prints its p99.
load() {
  WEB_KEY="$KEY" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/leads.lua \
    "http://127.0.0.1:$PORT" >"$WORK/$1-$2.wrk"
  awk '$1=="99%" {print $2}' "$WORK/$1-$2.wrk"
}

# to_ms 12.34ms|1.2s|800us
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 }
    else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 }
    else print v }'
}

run_store() {
  local name=$1 url=$2 created account
  created=$(DATABASE_URL="$url" "$BIN" account create --name "Purge bench $name")
  KEY=$(echo "$created" | awk '/web_key:/ {print $2}')
  account=$(echo "$created" | awk '/account id:/ {print $3}')
  seed "$name" "$url" "$account"
  DATABASE_URL="$url" LEADPOST_BIND="127.0.0.1:$PORT" LEADPOST_ADMIN_TOKEN="$TOKEN" \
    LEADPOST_PURGE_INTERVAL_SECONDS=0 LEADPOST_RATE_LIMIT_PER_IP=100000000 \
    LEADPOST_RATE_LIMIT_PER_KEY=100000000 RUST_LOG=warn "$BIN" serve >"$WORK/$name.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  local quiet busy started purge_ms counts
  quiet=$(load "$name" quiet)
  started=$(date +%s%N)
  (curl -fs -X POST -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/admin/v1/purge" \
    >"$WORK/$name.purge"; date +%s%N >"$WORK/$name.ended") &
  local purge=$!
  busy=$(load "$name" busy)
  wait "$purge"
  purge_ms=$(( ($(cat "$WORK/$name.ended") - started) / 1000000 ))
  counts=$(cat "$WORK/$name.purge")
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
  SERVER=""
  awk -v n="$name" -v q="$quiet" -v b="$busy" -v qm="$(to_ms "$quiet")" -v bm="$(to_ms "$busy")" \
      -v pm="$purge_ms" -v c="$counts" 'BEGIN {
    printf "%-9s p99 without purge %-9s with purge %-9s ratio %.2f  (purge %s, ended after %d ms)\n",
      n, q, b, (qm > 0 ? bm / qm : 0), c, pm }'
}

echo "leadpost purge benchmark: $ROWS old rows, $CONNECTIONS connections, $DURATION per run"
run_store sqlite "sqlite://$WORK/bench.db"
psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null
psql "$PG_URL/postgres" -qc "CREATE DATABASE $PG_DB" >/dev/null
run_store postgres "$PG_URL/$PG_DB"
psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null
