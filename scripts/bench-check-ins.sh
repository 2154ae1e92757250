#!/usr/bin/env bash
# Benchmark of check-ins over HTTP into the durable store: `POST /v1/me/check-ins`
# against the release build on loopback, on the embedded SQLite database, with
# many demo citizens scanning the place codes of several venues. Every request
# carries a distinct scan_id, so every one is a new row written to disk.
#
# Modes, each on a fresh server process over the same data folder:
#   group          the shipped configuration: group commit (up to 512 check-ins
#                  per transaction) and an fsync per commit (synchronous = FULL),
#                  so an acknowledged check-in survives power loss;
#   group-nofsync  group commit, synchronous = NORMAL (survives a crash of the
#                  process, may lose the last commits on power loss);
#   single         HEALTHCODE_SERVER__CHECK_IN_BATCH=1: one transaction (and one
#                  fsync) per check-in, for comparison;
#   single-nofsync one transaction per check-in, synchronous = NORMAL.
#
# It reports wrk's req/s and latency percentiles, the server's CPU time per
# request, the writer's mean batch size (from its debug log), and checks that
# the venues' counts grew by at least as many check-ins as were acknowledged.
#
# Target (group): at least 30,000 check-ins a second with p99 under 10 ms.
#
# Settings (environment):
#   BENCH_USERS=200          citizens logged in; requests rotate through them
#   BENCH_VENUES=20          venues registered by the demo `venue` account
#   BENCH_THREADS=2          wrk threads
#   BENCH_CONNECTIONS=64     wrk connections
#   BENCH_DURATION=15s       length of each measured run
#   BENCH_WARMUP=3s          unmeasured run before each mode (0 to skip)
#   BENCH_MODES="group group-nofsync single single-nofsync"
#   BENCH_KEEP=1             keep the temporary folder (server log, wrk output)
#   BENCH_STRICT=1           exit 1 if the group-mode target is missed
#   BENCH_SKIP_BUILD=1       use the existing release binary
set -euo pipefail
cd "$(dirname "$0")/.."

SCRIPT_NAME=bench-check-ins.sh
# shellcheck source=scripts/lib/demo-server.sh
. scripts/lib/demo-server.sh

users="${BENCH_USERS:-200}"
venues="${BENCH_VENUES:-20}"
threads="${BENCH_THREADS:-2}"
connections="${BENCH_CONNECTIONS:-64}"
duration="${BENCH_DURATION:-15s}"
warmup="${BENCH_WARMUP:-3s}"
modes="${BENCH_MODES:-group group-nofsync single single-nofsync}"
target_rps=30000
target_p99_ms=10

[[ "$users" =~ ^[1-9][0-9]*$ ]] || die "BENCH_USERS must be a positive number"
[[ "$venues" =~ ^[1-9][0-9]*$ ]] || die "BENCH_VENUES must be a positive number"
for mode in $modes; do
  case "$mode" in group | group-nofsync | single | single-nofsync) ;; *) die "unknown mode '$mode'" ;; esac
done

ensure_tools
build_release "${BENCH_SKIP_BUILD:-}"
make_workdir "${TMPDIR:-/var/tmp}" healthcode-bench "${BENCH_KEEP:-}"

# The demo server with extra environment, logging the check-in writer's
# statistics (the log starts afresh for each mode).
start_server() {
  : >"$work/server.log"
  start_demo_server "warn,healthcode_core::check_ins::writer=debug" "$@"
}

json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }

# wrk script: each request is a check-in by the next citizen at the next venue,
# with a scan_id unique across threads and runs; `done` prints one line with
# req/s, latency percentiles, requests and errors.
cat >"$work/check-in.lua" <<'LUA'
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
end

local tokens, codes = {}, {}
local n, sent = 0, 0
local run = ""
function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then tokens[#tokens + 1] = "Bearer " .. line end
  end
  for line in io.lines(args[2]) do
    if #line > 0 then codes[#codes + 1] = line end
  end
  assert(#tokens > 0 and #codes > 0, "no tokens or place codes")
  run = args[3]
  n = ((thread_number or 1) * 7919) % #tokens
end

function request()
  n = n + 1
  sent = sent + 1
  local body = string.format('{"place_code":"%s","scan_id":"%s-%d-%d"}',
    codes[n % #codes + 1], run, thread_number or 1, sent)
  return wrk.format("POST", "/v1/me/check-ins",
    { ["Authorization"] = tokens[n % #tokens + 1], ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.1f %.3f %.3f %.3f %d %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
LUA

# The check-ins all benchmark venues have today, from their counts (counts only).
stored_total() {
  local total=0 id count
  while read -r id; do
    count="$(curl -fsS -H "authorization: Bearer $venue_token" "$base/v1/venues/$id/counts?days=2" |
      grep -o '"count":[0-9]*' | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }')"
    total=$((total + count))
  done <"$work/venue-ids"
  echo "$total"
}

# Runs wrk; prints "rps p50_ms p99_ms max_ms requests non2xx socket_errors cpu_us".
run_wrk() {
  local length="$1" name="$2"
  measure_wrk "$work/wrk-$2.txt" wrk -t"$threads" -c"$connections" -d"$length" --latency \
    -s "$work/check-in.lua" "$base/v1/me/check-ins" -- "$work/tokens" "$work/place-codes" "$name"
}

people=$((users > 3000 ? users : 3000))
echo "== seeding $people demo citizens in $work/data"
start_server

venue_token="$(curl -fsS -H 'content-type: application/json' \
  -d "{\"username\":\"venue\",\"password\":\"$password\"}" "$base/v1/sessions" | json_field token)"
[ -n "$venue_token" ] || die "the demo venue account could not log in"
echo "== registering $venues venues as the demo venue account"
divisions=(350102 350103 350104 350105 350111 350121 350122 350181 350203 350205
  350206 350211 350212 350302 350303 350404 350502 350503 350602 350702)
: >"$work/place-codes"
: >"$work/venue-ids"
for ((v = 0; v < venues; v++)); do
  division="${divisions[$((v % ${#divisions[@]}))]}"
  answer="$(curl -fsS -H "authorization: Bearer $venue_token" -H 'content-type: application/json' \
    -d "{\"name\":\"压测场所 $v\",\"address\":\"测试路 $v 号\",\"division\":\"$division\"}" "$base/v1/venues")"
  echo "$answer" | json_field place_code >>"$work/place-codes"
  echo "$answer" | json_field id >>"$work/venue-ids"
done
[ "$(grep -c . "$work/place-codes")" -eq "$venues" ] || die "venue registration failed"

echo "== logging in $users citizens"
login_citizens "$users" 8
status="$(curl -s -o /dev/null -w '%{http_code}' -H "authorization: Bearer $(head -n1 "$work/tokens")" \
  -H 'content-type: application/json' -d "{\"place_code\":\"$(head -n1 "$work/place-codes")\"}" \
  "$base/v1/me/check-ins")"
[ "$status" = 201 ] || die "POST /v1/me/check-ins answered $status"

declare -A results batches
for mode in $modes; do
  stop_server
  case "$mode" in
    group) start_server ;;
    group-nofsync) start_server HEALTHCODE_SERVER__CHECK_IN_FSYNC=false ;;
    single) start_server HEALTHCODE_SERVER__CHECK_IN_BATCH=1 ;;
    single-nofsync) start_server HEALTHCODE_SERVER__CHECK_IN_BATCH=1 HEALTHCODE_SERVER__CHECK_IN_FSYNC=false ;;
  esac
  echo "== $mode: wrk -t$threads -c$connections -d$duration on $base"
  if [ "$warmup" != 0 ]; then
    run_wrk "$warmup" "$mode-warmup" >/dev/null
  fi
  before="$(stored_total)"
  : >"$work/server.log"
  results[$mode]="$(run_wrk "$duration" "$mode")"
  sleep 0.5
  after="$(stored_total)"
  # The writer logs its statistics every 10 s of activity.
  batches[$mode]="$(sed -n 's/.*mean_batch=\([0-9]*\).*/\1/p' "$work/server.log" | tail -n1)"
  read -r _ _ _ _ requests non2xx _ _ <<<"${results[$mode]}"
  acknowledged=$((requests - non2xx))
  stored=$((after - before))
  echo "   stored $stored check-ins, $acknowledged acknowledged"
  [ "$stored" -ge "$acknowledged" ] || die "$mode: fewer check-ins stored than acknowledged"
done
stop_server

echo
printf '%-15s %9s %8s %8s %8s %8s %8s %7s %10s\n' mode req/s p50_ms p99_ms max_ms cpu_us non-2xx sockerr mean_batch
for mode in $modes; do
  read -r rps p50 p99 max _ non2xx sockerr cpu <<<"${results[$mode]}"
  printf '%-15s %9.0f %8.2f %8.2f %8.2f %8.1f %8d %7d %10s\n' \
    "$mode" "$rps" "$p50" "$p99" "$max" "$cpu" "$non2xx" "$sockerr" "${batches[$mode]:-?}"
done
echo
verdict=0
for mode in $modes; do
  [ "$mode" = group ] || continue
  read -r rps _ p99 _ _ non2xx _ _ <<<"${results[$mode]}"
  [ "$non2xx" -eq 0 ] || { echo "group: $non2xx check-ins failed"; verdict=1; }
  if awk -v r="$rps" -v p="$p99" -v tr="$target_rps" -v tp="$target_p99_ms" 'BEGIN { exit !(r >= tr && p < tp) }'; then
    echo "group: target met (>= $target_rps check-ins/s, p99 < $target_p99_ms ms)"
  else
    echo "group: TARGET MISSED (>= $target_rps check-ins/s, p99 < $target_p99_ms ms)"
    verdict=1
  fi
done
echo "(wrk -t$threads -c$connections -d$duration --latency, $logged_in citizens, $venues venues,"
echo " $(nproc) CPUs shared by wrk and the server; cpu_us = server CPU per request;"
echo " mean_batch = check-ins per transaction in the writer's last 10-second report)"
if [ -n "${BENCH_STRICT:-}" ]; then
  exit "$verdict"
fi
