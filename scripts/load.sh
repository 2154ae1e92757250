#!/usr/bin/env bash
# Load test of the code-display path: `GET /v1/me/code` against the release build
# on loopback, with many demo citizens' sessions, next to `GET /v1/ping` (a trivial
# JSON route of the same server) so the cost of a code shows as a ratio.
#
# Two modes, each on a fresh server process over the same demo data:
#   warm  the shipped configuration: a person's signed code (and its JSON) is
#         reused for `code_reuse` seconds (15), so most requests are a cache hit;
#   cold  HEALTHCODE_SERVER__CODE_REUSE=0: every request reads the person, signs
#         a new code and renders its QR, the honest cost of a cache miss. This is
#         what a peak of *distinct* people costs: a person's first request, and the
#         page's refresh shortly before expiry, both find no fresh code to reuse.
#
# Besides wrk's req/s and latency it reports the server's CPU time per request
# (from /proc), which stays meaningful when wrk and the server share few cores.
#
# Target (warm): more than 25,000 code requests a second with p99 under 50 ms.
#
# It installs wrk if missing (Debian package, as root), builds the release binary,
# runs `healthcode demo` on a temporary data folder and a free loopback port, logs
# in LOAD_USERS citizens, runs wrk, prints a summary, then stops the server and
# removes the folder (also on error or Ctrl-C).
#
# Settings (environment):
#   LOAD_USERS=1000        citizens logged in; requests rotate through their tokens
#   LOAD_THREADS=2         wrk threads
#   LOAD_CONNECTIONS=64    wrk connections
#   LOAD_DURATION=15s      length of each measured run
#   LOAD_WARMUP=3s         unmeasured run before each mode's measurements (0 to skip)
#   LOAD_MODES="warm cold" which modes to run
#   LOAD_LOGIN_JOBS=8      concurrent logins while preparing sessions
#   LOAD_KEEP=1            keep the temporary folder (server log, wrk output)
#   LOAD_STRICT=1          exit 1 if the warm-mode target is missed
#   LOAD_SKIP_BUILD=1      use the existing release binary
set -euo pipefail
cd "$(dirname "$0")/.."

SCRIPT_NAME=load.sh
# shellcheck source=scripts/lib/demo-server.sh
. scripts/lib/demo-server.sh

users="${LOAD_USERS:-1000}"
threads="${LOAD_THREADS:-2}"
connections="${LOAD_CONNECTIONS:-64}"
duration="${LOAD_DURATION:-15s}"
warmup="${LOAD_WARMUP:-3s}"
modes="${LOAD_MODES:-warm cold}"
login_jobs="${LOAD_LOGIN_JOBS:-8}"
target_rps=25000
target_p99_ms=50

[[ "$users" =~ ^[1-9][0-9]*$ ]] || die "LOAD_USERS must be a positive number"
for mode in $modes; do
  [[ "$mode" == warm || "$mode" == cold ]] || die "unknown mode '$mode' (warm, cold)"
done

ensure_tools
build_release "${LOAD_SKIP_BUILD:-}"
make_workdir "${TMPDIR:-/tmp}" healthcode-load "${LOAD_KEEP:-}"

start_server() { start_demo_server "${RUST_LOG:-warn}" "$@"; }

# wrk script: every request carries the next token (each thread starts at its
# own offset), so requests spread over all the sessions; `done` prints one
# machine-readable line with req/s, latency percentiles and errors.
cat >"$work/rotate.lua" <<'LUA'
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
end

local prepared = {}
local next_index = 0
function init(args)
  local file = assert(io.open(args[1], "r"))
  for token in file:lines() do
    if #token > 0 then
      prepared[#prepared + 1] = wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. token })
    end
  end
  file:close()
  assert(#prepared > 0, "no tokens")
  next_index = ((thread_number or 1) * 7919) % #prepared
end

function request()
  next_index = next_index % #prepared + 1
  return prepared[next_index]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.1f %.3f %.3f %.3f %d %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
LUA

# Runs wrk on a path; prints "rps p50_ms p99_ms max_ms requests non2xx
# socket_errors server_cpu_us_per_request".
run_wrk() {
  local path="$1" length="$2"
  measure_wrk "$work/wrk-$3.txt" wrk -t"$threads" -c"$connections" -d"$length" --latency \
    -s "$work/rotate.lua" "$base$path" -- "$work/tokens"
}

people=$((users > 3000 ? users : 3000))
echo "== seeding $people demo citizens in $work/data"
start_server

echo "== logging in $users citizens ($login_jobs at a time)"
login_citizens "$users" "$login_jobs"
status="$(curl -s -o /dev/null -w '%{http_code}' -H "authorization: Bearer $(head -n1 "$work/tokens")" "$base/v1/me/code")"
[ "$status" = 200 ] || die "GET /v1/me/code answered $status"

declare -A results
for mode in $modes; do
  stop_server
  if [ "$mode" = cold ]; then
    start_server HEALTHCODE_SERVER__CODE_REUSE=0
  else
    start_server
  fi
  echo "== $mode: wrk -t$threads -c$connections -d$duration on $base ($logged_in tokens)"
  if [ "$warmup" != 0 ]; then
    run_wrk /v1/me/code "$warmup" "$mode-warmup" >/dev/null
  fi
  results[$mode-code]="$(run_wrk /v1/me/code "$duration" "$mode-code")"
  results[$mode-ping]="$(run_wrk /v1/ping "$duration" "$mode-ping")"
done
stop_server

echo
printf '%-5s %-12s %9s %8s %8s %8s %8s %8s %7s\n' mode route req/s p50_ms p99_ms max_ms cpu_us non-2xx sockerr
for mode in $modes; do
  for route in code ping; do
    read -r rps p50 p99 max _ non2xx sockerr cpu <<<"${results[$mode-$route]}"
    path=/v1/me/code
    [ "$route" = ping ] && path=/v1/ping
    printf '%-5s %-12s %9.0f %8.2f %8.2f %8.2f %8.1f %8d %7d\n' \
      "$mode" "$path" "$rps" "$p50" "$p99" "$max" "$cpu" "$non2xx" "$sockerr"
  done
done
echo
verdict=0
for mode in $modes; do
  read -r code_rps code_p50 code_p99 _ _ code_non2xx _ code_cpu <<<"${results[$mode-code]}"
  read -r ping_rps ping_p50 _ _ _ _ _ ping_cpu <<<"${results[$mode-ping]}"
  awk -v m="$mode" -v cr="$code_rps" -v pr="$ping_rps" -v c50="$code_p50" -v p50="$ping_p50" \
    -v cc="$code_cpu" -v pc="$ping_cpu" 'BEGIN {
      printf "%s: code/ping throughput %.2f, p50 %.2fx, server CPU per request %.1fx\n",
        m, cr / pr, c50 / p50, (pc > 0 ? cc / pc : 0) }'
  [ "$code_non2xx" -eq 0 ] || { echo "$mode: $code_non2xx code requests failed"; verdict=1; }
  if [ "$mode" = warm ]; then
    if awk -v r="$code_rps" -v p="$code_p99" -v tr="$target_rps" -v tp="$target_p99_ms" \
      'BEGIN { exit !(r > tr && p < tp) }'; then
      echo "warm: target met (> $target_rps req/s, p99 < $target_p99_ms ms)"
    else
      echo "warm: TARGET MISSED (> $target_rps req/s, p99 < $target_p99_ms ms)"
      verdict=1
    fi
  fi
done
echo "(wrk -t$threads -c$connections -d$duration --latency, $logged_in sessions, $(nproc) CPUs shared by"
echo " wrk and the server; cpu_us = server CPU time per request, user + system, all threads)"
if [ -n "${LOAD_STRICT:-}" ]; then
  exit "$verdict"
fi
