#!/usr/bin/env bash
# Ingest benchmark, in one run on one machine (DESIGN §13): leads/s, p50/p99
# latency and peak RSS of `leadpost serve` (release build) on a fresh SQLite file
# and on PostgreSQL, loaded by wrk at fixed concurrency with unique urlencoded
# leads; beside them each database's own per-commit ceiling for the same rows,
# one transaction per lead: SQLite by bench/sqlite_ceiling.py (one connection,
# synchronous=FULL), PostgreSQL by pgbench -M prepared with bench/single_lead.sql;
# and the ratios. Then delivery: lead-to-first-webhook-attempt latency and
# webhook deliveries/s to a loopback receiver (bench/delivery.py) with the
# default worker settings, on each store, beside that receiver's own ceiling
# (wrk posting to it directly, bench/hook.lua).
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
RECEIVER_PORT="${RECEIVER_PORT:-18182}"
LATENCY_LEADS="${LATENCY_LEADS:-200}"
DRAIN_SECONDS="${DRAIN_SECONDS:-5s}"

if ! command -v wrk >/dev/null; then
  echo "installing wrk..." >&2
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
PGBENCH=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | head -1 || true)

cargo build --release --quiet
BIN="${CARGO_TARGET_DIR:-target}/release/leadpost"
WORK=$(mktemp -d)
SERVER=
RECEIVER=
trap 'kill $SERVER $RECEIVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

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

# start_server NAME DATABASE_URL [CONFIG]: serve in the background until stop_server.
start_server() {
  local name=$1 url=$2 config=${3:-}
  env ${config:+LEADPOST_CONFIG="$config"} DATABASE_URL="$url" LEADPOST_BIND="127.0.0.1:$PORT" \
    LEADPOST_ALLOW_PRIVATE_TARGETS=true RUST_LOG=warn "$BIN" serve >>"$WORK/$name.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
}
stop_server() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=; }

# run_delivery NAME DATABASE_URL: lead-to-first-attempt latency, then deliveries/s
# of a backlog drained by the default worker settings.
run_delivery() {
  local name=$1 url=$2 account hook plan key
  export LEADPOST_ALLOW_PRIVATE_TARGETS=true
  python3 bench/delivery.py receive "$RECEIVER_PORT" & RECEIVER=$!
  account=$(DATABASE_URL="$url" "$BIN" account create --name "Delivery $name" | awk '/account id:/ {print $3}')
  hook=$(DATABASE_URL="$url" "$BIN" webhook create --account "$account" --name receiver \
    --url "http://127.0.0.1:$RECEIVER_PORT/hook" --body '{"email": "{{ client.email }}"}' \
    | awk '/webhook id:/ {print $3}')
  plan=$(DATABASE_URL="$url" "$BIN" action-plan create --account "$account" --name now --step "$hook" \
    | awk '/action plan id:/ {print $4}')
  key=$(DATABASE_URL="$url" "$BIN" lead-source create --account "$account" --name bench --action-plan "$plan" \
    | awk '/web_key:/ {print $2}')
  start_server "$name-delivery" "$url"
  read -r lat50 lat99 < <(python3 bench/delivery.py latency "http://127.0.0.1:$PORT" "$key" \
    "http://127.0.0.1:$RECEIVER_PORT" "$LATENCY_LEADS")
  stop_server
  kill "$RECEIVER"; wait "$RECEIVER" 2>/dev/null || true
  # A backlog queued by an intake-only server, then drained with the defaults.
  python3 bench/delivery.py receive "$RECEIVER_PORT" & RECEIVER=$!
  printf '[delivery]\nconcurrency = 0\n' >"$WORK/intake-only.toml"
  start_server "$name-delivery" "$url" "$WORK/intake-only.toml"
  WEB_KEY="$key" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DRAIN_SECONDS" -s bench/leads.lua \
    "http://127.0.0.1:$PORT" >/dev/null
  stop_server
  start_server "$name-delivery" "$url"
  read -r delivered rate < <(python3 bench/delivery.py drain "http://127.0.0.1:$RECEIVER_PORT")
  stop_server
  kill "$RECEIVER"; wait "$RECEIVER" 2>/dev/null || true; RECEIVER=
  printf '%-10s lead to first attempt p50 %s ms p99 %s ms; %s webhooks drained at %s deliveries/s\n' \
    "$name" "$lat50" "$lat99" "$delivered" "$rate"
  echo "$rate" >"$WORK/$name.deliveries"
}

# receiver_ceiling: requests/s the loopback receiver takes from wrk directly, with
# as many connections as the worker may open to one URL (a receiver of its own, so
# the drains' counts stay clean).
receiver_ceiling() {
  local port=$((RECEIVER_PORT + 1)) per_url
  per_url=$(awk -F' *= *' '/^max_in_flight_per_url/ {print $2}' config/default.toml)
  python3 bench/delivery.py receive "$port" 2>/dev/null & RECEIVER=$!
  for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/stats" >/dev/null && break; sleep 0.1; done
  wrk -t1 -c"$per_url" -d"$DRAIN_SECONDS" -s bench/hook.lua "http://127.0.0.1:$port" |
    awk '/Requests\/sec/ {print $2}' >"$WORK/receiver.rps"
  kill "$RECEIVER"; wait "$RECEIVER" 2>/dev/null || true; RECEIVER=
  printf '%-10s req/s   %-10s (the loopback receiver alone, %s connections)\n' \
    "receiver" "$(cat "$WORK/receiver.rps")" "$per_url"
}

echo "leadpost ingest benchmark: $CONNECTIONS connections, $THREADS wrk threads, $DURATION per store"
seconds=${DURATION%s}

run_store sqlite "sqlite://$WORK/bench.db"
# A consistent copy (the file with what its WAL still holds) for the ceiling's run.
python3 -c "import sqlite3,sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))" \
  "$WORK/bench.db" "$WORK/ceiling.db"
account=$(sqlite3 "$WORK/ceiling.db" "SELECT id FROM accounts LIMIT 1" 2>/dev/null ||
  python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT id FROM accounts LIMIT 1').fetchone()[0])" "$WORK/ceiling.db")
read -r sqlite_tps sqlite_p99 < <(python3 bench/sqlite_ceiling.py "$WORK/ceiling.db" "$account" "$seconds")
printf '%-10s tps     %-10s p99 %sms (one connection, synchronous=FULL, one transaction per lead)\n' \
  "sqlite-1c" "$sqlite_tps" "$sqlite_p99"

psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null
psql "$PG_URL/postgres" -qc "CREATE DATABASE $PG_DB" >/dev/null
run_store postgres "$PG_URL/$PG_DB"

tps=0
if [ -n "$PGBENCH" ]; then
  account=$(psql "$PG_URL/$PG_DB" -Atc "SELECT id FROM accounts LIMIT 1")
  "$PGBENCH" -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$seconds" -D account="$account" \
    -f bench/single_lead.sql "$PG_URL/$PG_DB" >"$WORK/pgbench.out" 2>&1
  tps=$(awk '/^tps/ {print $3; exit}' "$WORK/pgbench.out")
  lat=$(awk '/latency average/ {print $4, $5}' "$WORK/pgbench.out")
  printf '%-10s tps     %-10s avg latency %s\n' "pgbench" "$tps" "$lat"
else
  echo "pgbench not found: skipped the PostgreSQL ceiling"
fi

awk -v a="$(cat "$WORK/sqlite.rps")" -v b="$sqlite_tps" -v c="$(cat "$WORK/postgres.rps")" -v d="$tps" 'BEGIN {
  if (b > 0) printf "ratio      sqlite leads/s / SQLite per-commit ceiling: %.2fx\n", a / b
  if (d > 0) printf "ratio      postgres leads/s / pgbench ceiling:        %.2fx\n", c / d
}'

run_delivery sqlite "sqlite://$WORK/delivery.db"
psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS ${PG_DB}_delivery" >/dev/null
psql "$PG_URL/postgres" -qc "CREATE DATABASE ${PG_DB}_delivery" >/dev/null
run_delivery postgres "$PG_URL/${PG_DB}_delivery"
receiver_ceiling
awk -v a="$(cat "$WORK/sqlite.deliveries")" -v b="$(cat "$WORK/postgres.deliveries")" \
  -v r="$(cat "$WORK/receiver.rps")" 'BEGIN {
  if (r > 0) printf "ratio      deliveries/s / receiver ceiling: sqlite %.2fx, postgres %.2fx\n", a / r, b / r
}'
