# Shared by scripts/load.sh and scripts/bench-check-ins.sh: the tools, the
# release binary, a temporary folder, a `healthcode demo` server on a free
# loopback port, citizen logins, and wrk runs measured with the server's CPU
# time. Source it after setting SCRIPT_NAME; it defines functions and, through
# them, the globals `bin`, `work`, `port`, `base`, `server_pid` and `logged_in`.
# `start_demo_server` reads `people` (how many citizens the demo seeds).

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/healthcode-target}"
password="healthcode-demo"

die() { echo "$SCRIPT_NAME: $*" >&2; exit 1; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# wrk (Debian package, installed as root if missing) and curl.
ensure_tools() {
  if ! command -v wrk >/dev/null; then
    echo "== installing wrk"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq wrk >/dev/null
  fi
  command -v curl >/dev/null || die "curl is needed"
}

# Builds the release binary unless $1 is non-empty; sets `bin`.
build_release() {
  if [ -z "${1:-}" ]; then
    echo "== building the release binary"
    cargo build --release -p healthcode --quiet
  fi
  bin="$CARGO_TARGET_DIR/release/healthcode"
  [ -x "$bin" ] || die "no binary at $bin"
}

# A temporary folder under $1 named after $2, removed on exit (with the server
# stopped) unless $3 is non-empty; sets `work`.
make_workdir() {
  work="$(mktemp -d "$1/$2.XXXXXX")"
  keep_work="${3:-}"
  server_pid=""
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

stop_server() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}

cleanup() {
  stop_server
  if [ -n "$keep_work" ]; then
    echo "kept $work"
  else
    rm -rf "$work"
  fi
}

# A loopback port nobody listens on (bash's /dev/tcp connects or fails).
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  die "no free port found"
}

# Starts `healthcode demo` over $work/data in the background with RUST_LOG=$1
# and extra environment ("VAR=value" words), appending to $work/server.log, and
# waits until /healthz answers; sets `port`, `base` and `server_pid`.
start_demo_server() {
  local log_filter="$1"
  shift
  port="$(free_port)"
  base="http://127.0.0.1:$port"
  # Every login comes from this one address: lift the per-address limit,
  # which would otherwise let 60 logins through and then one every 2 s.
  env -u HEALTHCODE_SERVER__CODE_REUSE RUST_LOG="$log_filter" \
    HEALTHCODE_SERVER__RATE_LIMITS__LOGIN_ADDRESS__BURST=1000000 "$@" \
    "$bin" demo --data "$work/data" --listen "127.0.0.1:$port" --people "$people" \
    >>"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do
    if curl -fsS -o /dev/null -m 2 "$base/healthz" 2>/dev/null; then
      return
    fi
    kill -0 "$server_pid" 2>/dev/null || { tail -n 20 "$work/server.log" >&2; die "the server exited"; }
    sleep 0.2
  done
  tail -n 20 "$work/server.log" >&2
  die "the server did not become healthy within 120 s"
}

# Logs in demo citizens 0..$1-1 by phone, $2 at a time, one token a line in
# $work/tokens; sets `logged_in`. The demo skips the rare person whose synthetic
# document number repeats an earlier one, so a few phones may have no account.
login_citizens() {
  local users="$1" jobs="$2"
  # shellcheck disable=SC2016 # $1..$3 expand in the inner shell
  for ((i = 0; i < users; i++)); do printf '139%08d\n' "$i"; done |
    xargs -P "$jobs" -I{} sh -c '
      curl -sS -m 60 -w "\\n" -H "content-type: application/json" \
        -d "{\"phone\":\"$1\",\"password\":\"$2\"}" "$3/v1/sessions" |
        sed -n "s/.*\"token\":\"\([^\"]*\)\".*/\1/p"' _ {} "$password" "$base" \
    >"$work/tokens" || true
  logged_in="$(grep -c . "$work/tokens" || true)"
  [ "$logged_in" -ge $((users * 9 / 10)) ] || die "only $logged_in of $users logins succeeded"
  echo "   $logged_in sessions"
}

# CPU time the server has used so far, in clock ticks (all threads).
server_ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }

# Runs the wrk command given after $1 (its output goes to file $1; its Lua
# `done` prints a RESULT line); prints "rps p50_ms p99_ms max_ms requests
# non2xx socket_errors server_cpu_us_per_request".
measure_wrk() {
  local out="$1" before after result hz
  shift
  hz="$(getconf CLK_TCK)"
  before="$(server_ticks)"
  "$@" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed"; }
  after="$(server_ticks)"
  result="$(sed -n 's/^RESULT //p' "$out")"
  [ -n "$result" ] || { cat "$out" >&2; die "wrk printed no result"; }
  awk -v r="$result" -v t=$((after - before)) -v hz="$hz" 'BEGIN {
    split(r, f, " "); printf "%s %.1f\n", r, (f[5] > 0 ? t / hz * 1e6 / f[5] : 0) }'
}
