#!/usr/bin/env bash
# Scale-out run (issue 17, DESIGN §13): three `leadpost serve` processes (release
# build) on one fresh PostgreSQL database, on three ports.
#
# 1. Load: three wrk at once, one per process, each with a third of the
#    connections and the same duration, posting unique urlencoded leads
#    (bench/leads.lua). wrk talks to one host only, and a proxy in front would be
#    a fourth process measured with them; the three runs overlap in time, so their
#    leads/s add up to the aggregate. Prints each process's leads/s, p50/p99 and
#    non-2xx, and the sum.
# 2. Exactly once: an account whose plan has one webhook to a loopback receiver
#    (bench/delivery.py receive, counting deliveries per lead). JOBS leads are
#    posted (bench/delivery.py queue, spread over the three processes) while the
#    three run intake-only (delivery.concurrency = 0), so JOBS webhook jobs wait in
#    the queue; then the three restart with their workers and drain it together.
#    Prints delivered, distinct, duplicates (must be 0), missing (must be 0),
#    deliveries/s across the three workers, and the attempts each process logged;
#    exits non-zero if a lead was delivered twice or not at all.
#
#   bench/scaleout.sh                 # defaults below
#   CONNECTIONS=48 DURATION=30s JOBS=10000 PG_URL=postgres://postgres@127.0.0.1:5432 bench/scaleout.sh
#   PER_URL=128 bench/scaleout.sh     # set delivery.max_in_flight_per_url (default: the service's)
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS="${CONNECTIONS:-33}"
DURATION="${DURATION:-20s}"
JOBS="${JOBS:-10000}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
PG_DB="${PG_DB:-leadpost_scaleout}"
PORTS=("${PORT_A:-18191}" "${PORT_B:-18192}" "${PORT_C:-18193}")
RECEIVER_PORT="${RECEIVER_PORT:-18194}"
DRAIN_TIMEOUT="${DRAIN_TIMEOUT:-600}"
PER_URL="${PER_URL:-}"

if ! command -v wrk >/dev/null; then
  echo "installing wrk..." >&2
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

cargo build --release --quiet
BIN="${CARGO_TARGET_DIR:-target}/release/leadpost"
WORK=$(mktemp -d)
SERVERS=()
RECEIVER=
trap 'kill "${SERVERS[@]}" $RECEIVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

DB_URL="$PG_URL/$PG_DB"
psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null
psql "$PG_URL/postgres" -qc "CREATE DATABASE $PG_DB" >/dev/null
DATABASE_URL="$DB_URL" "$BIN" migrate >/dev/null
cli() { DATABASE_URL="$DB_URL" "$BIN" "$@"; }

# start_three PHASE CONFIG: one serve per port, logging to $WORK/PHASE-N.log;
# returns once all three answer /healthz.
start_three() {
  local phase=$1 config=$2 i
  SERVERS=()
  for i in 0 1 2; do
    LEADPOST_CONFIG="$config" DATABASE_URL="$DB_URL" LEADPOST_BIND="127.0.0.1:${PORTS[$i]}" \
      LEADPOST_ALLOW_PRIVATE_TARGETS=true RUST_LOG="warn,leadpost::delivery=info" \
      "$BIN" serve >"$WORK/$phase-$i.log" 2>&1 &
    SERVERS+=($!)
  done
  for i in 0 1 2; do
    for _ in $(seq 1 100); do
      curl -fs "http://127.0.0.1:${PORTS[$i]}/healthz" >/dev/null && break
      sleep 0.1
    done
    curl -fs "http://127.0.0.1:${PORTS[$i]}/healthz" >/dev/null ||
      { echo "serve on port ${PORTS[$i]} did not start:" >&2; cat "$WORK/$phase-$i.log" >&2; exit 1; }
  done
}
stop_three() {
  local pid
  for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${SERVERS[@]}"; do wait "$pid" 2>/dev/null || true; done
  SERVERS=()
}

printf '[delivery]\n%s\n' "${PER_URL:+max_in_flight_per_url = $PER_URL}" >"$WORK/workers.toml"
printf '[delivery]\nconcurrency = 0\n' >"$WORK/intake-only.toml"

per=$(( (CONNECTIONS + 2) / 3 ))
echo "leadpost scale-out run: 3 serve processes on PostgreSQL ($DB_URL), $per connections each for $DURATION; then $JOBS webhook jobs"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"

# 1. Load, spread over the three processes.
key=$(cli account create --name "Scale load" | awk '/web_key:/ {print $2}')
start_three load "$WORK/workers.toml"
WRKS=()
for i in 0 1 2; do
  WEB_KEY="$key" wrk -t1 -c"$per" -d"$DURATION" --latency -s bench/leads.lua \
    "http://127.0.0.1:${PORTS[$i]}" >"$WORK/wrk-$i.out" &
  WRKS+=($!)
done
for pid in "${WRKS[@]}"; do wait "$pid"; done
stop_three
total=0
for i in 0 1 2; do
  out="$WORK/wrk-$i.out"
  rps=$(awk '/Requests\/sec/ {print $2}' "$out")
  p50=$(awk '$1=="50%" {print $2}' "$out")
  p99=$(awk '$1=="99%" {print $2}' "$out")
  errors=$(awk '/Non-2xx/ {print $NF}' "$out")
  printf 'serve %d    leads/s %-10s p50 %-9s p99 %-9s non-2xx %s\n' \
    "$((i + 1))" "$rps" "$p50" "$p99" "${errors:-0}"
  total=$(awk -v a="$total" -v b="$rps" 'BEGIN { printf "%.2f", a + b }')
done
stored=$(psql "$DB_URL" -Atc "SELECT count(*) FROM clients")
printf 'aggregate  leads/s %-10s (%s leads stored)\n' "$total" "$stored"

# 2. JOBS webhook jobs queued through the three, then drained by their three workers.
python3 bench/delivery.py receive "$RECEIVER_PORT" &
RECEIVER=$!
account=$(cli account create --name "Scale delivery" | awk '/account id:/ {print $3}')
hook=$(cli webhook create --account "$account" --name receiver \
  --url "http://127.0.0.1:$RECEIVER_PORT/hook" --body '{"email": "{{ client.email }}"}' |
  awk '/webhook id:/ {print $3}')
plan=$(cli action-plan create --account "$account" --name now --step "$hook" |
  awk '/action plan id:/ {print $4}')
key=$(cli lead-source create --account "$account" --name scale --action-plan "$plan" |
  awk '/web_key:/ {print $2}')
start_three queue "$WORK/intake-only.toml"
services="http://127.0.0.1:${PORTS[0]},http://127.0.0.1:${PORTS[1]},http://127.0.0.1:${PORTS[2]}"
started=$(date +%s.%N)
read -r posted answered < <(python3 bench/delivery.py queue "$services" "$key" "$JOBS" scale-)
ended=$(date +%s.%N)
stop_three
queued=$(psql "$DB_URL" -Atc "SELECT count(*) FROM jobs WHERE account_id = '$account' AND state = 'queued'")
printf 'queued     %s leads posted, %s answered 200, %s webhook jobs waiting (%.1f s)\n' \
  "$posted" "$answered" "$queued" "$(awk -v a="$started" -v b="$ended" 'BEGIN { print b - a }')"

start_three drain "$WORK/workers.toml"
read -r delivered distinct duplicates missing rate < <(python3 bench/delivery.py tally \
  "http://127.0.0.1:$RECEIVER_PORT" scale- "$JOBS" "$DRAIN_TIMEOUT")
stop_three
kill "$RECEIVER" 2>/dev/null || true
wait "$RECEIVER" 2>/dev/null || true
RECEIVER=
shares=""
for i in 0 1 2; do
  shares+="$(grep -c 'delivery attempt' "$WORK/drain-$i.log" || true) "
done
states=$(psql "$DB_URL" -Atc "SELECT string_agg(state || ' ' || n, ', ') FROM \
  (SELECT state, count(*) AS n FROM jobs WHERE account_id = '$account' GROUP BY state ORDER BY state) s")
printf 'delivered  %s\ndistinct   %s\nduplicates %s\nmissing    %s\ndeliveries/s across the three workers: %s\n' \
  "$delivered" "$distinct" "$duplicates" "$missing" "$rate"
printf 'attempts logged per process: %s\njobs by state: %s\n' "$shares" "$states"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
if [ "$duplicates" != 0 ] || [ "$missing" != 0 ]; then
  echo "FAILED: every job must be delivered exactly once" >&2
  exit 1
fi
