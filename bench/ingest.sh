#!/usr/bin/env bash
# Ingest benchmark: leads/s, p50/p99 latency and peak RSS of `leadpost serve` on
# a fresh SQLite file and on PostgreSQL, loaded by wrk at fixed concurrency with
# unique urlencoded leads; then pgbench with one equivalent single-lead INSERT
# transaction per request on the same PostgreSQL as the database's own ceiling.
#
#   bench/ingest.sh                 # defaults below
#   CONNECTIONS=32 DURATION=20s PG_URL=postgres://postgres@127.0.0.1:5432 bench/ingest.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
DURATION="${DURATION:-20s}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
PG_DB="${PG_DB:-leadpost_bench}"
PORT="${PORT:-18181}"

if ! command -v wrk >/dev/null; then
  echo "installing wrk..." >&2
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
PGBENCH=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | head -1 || true)

cargo build --release --quiet
BIN="${CARGO_TARGET_DIR:-target}/release/leadpost"
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

peak_rss_mb() { awk '/VmHWM/ { printf "%.1f", $2/1024 }' "/proc/$1/status"; }

# run_store NAME DATABASE_URL: prints one result line.
run_store() {
  local name=$1 url=$2
  local key
  key=$(DATABASE_URL="$url" "$BIN" account create --name "Bench $name" | awk '/web_key:/ {print $2}')
  DATABASE_URL="$url" LEADPOST_BIND="127.0.0.1:$PORT" RUST_LOG=warn "$BIN" serve >"$WORK/$name.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  WEB_KEY="$key" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/leads.lua \
    "http://127.0.0.1:$PORT" >"$WORK/$name.wrk"
  local rss
  rss=$(peak_rss_mb "$SERVER")
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/$name.wrk")
  p50=$(awk '$1=="50%" {print $2}' "$WORK/$name.wrk")
  p99=$(awk '$1=="99%" {print $2}' "$WORK/$name.wrk")
  errors=$(awk '/Non-2xx/ {print $NF}' "$WORK/$name.wrk")
  printf '%-10s leads/s %-10s p50 %-9s p99 %-9s peak RSS %s MB  non-2xx %s\n' \
    "$name" "$rps" "$p50" "$p99" "$rss" "${errors:-0}"
  echo "$rps" >"$WORK/$name.rps"
}

echo "leadpost ingest benchmark: $CONNECTIONS connections, $THREADS wrk threads, $DURATION per store"
run_store sqlite "sqlite://$WORK/bench.db"

psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null
psql "$PG_URL/postgres" -qc "CREATE DATABASE $PG_DB" >/dev/null
run_store postgres "$PG_URL/$PG_DB"

if [ -n "$PGBENCH" ]; then
  account=$(psql "$PG_URL/$PG_DB" -Atc "SELECT id FROM accounts LIMIT 1")
  seconds=${DURATION%s}
  "$PGBENCH" -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$seconds" -D account="$account" \
    -f bench/single_lead.sql "$PG_URL/$PG_DB" >"$WORK/pgbench.out" 2>&1
  tps=$(awk '/^tps/ {print $3; exit}' "$WORK/pgbench.out")
  lat=$(awk '/latency average/ {print $4, $5}' "$WORK/pgbench.out")
  printf '%-10s tps     %-10s avg latency %s\n' "pgbench" "$tps" "$lat"
  awk -v a="$(cat "$WORK/postgres.rps")" -v b="$tps" \
    'BEGIN { if (b > 0) printf "postgres / pgbench ceiling: %.0f%%\n", 100 * a / b }'
else
  echo "pgbench not found: skipped the database ceiling"
fi
