#!/usr/bin/env bash
# API fuzzing against the OpenAPI document: schemathesis generates requests
# from `/openapi.json` (valid and invalid bodies, queries, paths and headers)
# and checks every answer against the same document, once per role.
#
# It creates (or reuses) a virtualenv with the pinned schemathesis
# (scripts/api-fuzz-requirements.txt), builds the debug binary, seeds a fresh
# demo province in a temporary folder, serves it on a free loopback port with
# scripts/api-fuzz.toml (rate limits raised: see there), and logs in as each
# role: anonymous (no token), citizen, checker, collector, lab, venue,
# authority and regulator. For each role it runs
#
#   schemathesis run http://127.0.0.1:PORT/openapi.json -H 'Authorization: Bearer TOKEN'
#
# with the checks below, a bounded number of examples per operation and a
# fixed seed (the same requests every run). Two operations end the session
# they are sent with, which would turn every later request of that role into
# a 401: `DELETE /v1/sessions` (logout) and `DELETE /v1/me` (the citizen erases
# themself). They are fuzzed in a second run per role with a session of their
# own (for the citizen, another demo citizen), so nothing is left out.
#
# Checks: not_a_server_error (no 5xx), status_code_conformance (every status
# is documented for its operation), content_type_conformance,
# response_schema_conformance, response_headers_conformance.
#
# It prints per role the operations tested, the examples sent and the
# failures, and exits 1 if any check failed (the full report of a role that
# failed is printed, and the folder is kept).
#
# Settings (environment):
#   FUZZ_EXAMPLES=50   most examples per operation and phase (schemathesis -n)
#   FUZZ_SEED=1107     the seed of the generator
#   FUZZ_ROLES="anonymous citizen checker collector lab venue authority regulator"
#   FUZZ_VENV=/var/tmp/healthcode-venv   the virtualenv
#   FUZZ_KEEP=1        keep the temporary folder (server log, reports)
#   FUZZ_SKIP_BUILD=1  use the existing debug binary
set -euo pipefail
cd "$(dirname "$0")/.."

SCRIPT_NAME=api-fuzz.sh
# shellcheck source=scripts/lib/demo-server.sh
. scripts/lib/demo-server.sh

examples="${FUZZ_EXAMPLES:-50}"
seed="${FUZZ_SEED:-1107}"
roles="${FUZZ_ROLES:-anonymous citizen checker collector lab venue authority regulator}"
venv="${FUZZ_VENV:-/var/tmp/healthcode-venv}"
requirements=scripts/api-fuzz-requirements.txt
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance
# Operations that end the session they are sent with (see above).
session_enders=("DELETE /v1/sessions" "DELETE /v1/me")
people=20

[[ "$examples" =~ ^[1-9][0-9]*$ ]] || die "FUZZ_EXAMPLES must be a positive number"
[[ "$seed" =~ ^[0-9]+$ ]] || die "FUZZ_SEED must be a number"
started=$SECONDS

# The virtualenv, (re)installed whenever the pinned requirements change.
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/schemathesis" ] || [ "$(cat "$venv/.api-fuzz-requirements" 2>/dev/null)" != "$want" ]; then
  echo "== installing schemathesis into $venv"
  if ! command -v python3 >/dev/null || ! python3 -m venv --clear "$venv" >/dev/null 2>&1; then
    echo "== installing python3-venv"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq python3 python3-venv >/dev/null
    python3 -m venv --clear "$venv"
  fi
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
  echo "$want" >"$venv/.api-fuzz-requirements"
fi
schemathesis="$venv/bin/schemathesis"
echo "== $("$schemathesis" --version)"
command -v curl >/dev/null || die "curl is needed"

# The debug build: the tests have built it already in CI, and an optimised
# build would cost minutes for nothing (the fuzzer, not the server, is slow).
if [ -z "${FUZZ_SKIP_BUILD:-}" ]; then
  echo "== building the debug binary"
  cargo build --locked -p healthcode --quiet
fi
bin="$CARGO_TARGET_DIR/debug/healthcode"
[ -x "$bin" ] || die "no binary at $bin"

make_workdir "${TMPDIR:-/tmp}" healthcode-fuzz "${FUZZ_KEEP:-}"
echo "== seeding $people demo citizens in $work/data and serving them"
start_demo_server "${RUST_LOG:-warn}" HEALTHCODE_CONFIG="$PWD/scripts/api-fuzz.toml"
echo "   $base"

# Logs in with a JSON body; prints the token.
login() {
  local answer token
  answer="$(curl -sS -m 60 -H 'content-type: application/json' -d "$1" "$base/v1/sessions")"
  token="$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$answer")"
  [ -n "$token" ] || die "login $1 failed: $answer"
  echo "$token"
}

# A fresh session of a role: $1 the role, $2 which citizen (0, 1, ...).
session() {
  case "$1" in
    anonymous) echo "" ;;
    citizen) login "$(printf '{"phone":"139%08d","password":"%s"}' "$2" "$password")" ;;
    *) login "{\"username\":\"$1\",\"password\":\"$password\"}" ;;
  esac
}

# Runs schemathesis as $1 with token $2 (none if empty), its JSON report named
# $3, the operations chosen by the remaining arguments; the exit status is
# schemathesis's.
fuzz() {
  local role="$1" token="$2" name="$3"
  shift 3
  local auth=()
  [ -z "$token" ] || auth=(-H "Authorization: Bearer $token")
  # From the temporary folder: schemathesis keeps its state in ./.schemathesis.
  (cd "$work" && "$schemathesis" run "$base/openapi.json" "${auth[@]}" \
    --checks "$checks" \
    --max-examples "$examples" \
    --seed "$seed" \
    --generation-database none \
    --workers 1 \
    --request-timeout 30 \
    --no-color \
    --report json --report-json-path "$work/$name.json" \
    "$@" >"$work/$name.txt" 2>&1)
}

# Prints "operations examples failures" of a JSON report.
figures() {
  "$venv/bin/python" - "$1" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
cases = report["test_cases"]
print(report["operations"]["tested"], cases["generated"],
      cases["unique_failures"] + cases["errored"] + len(report["errors"]))
PY
}

declare -A result
failed_roles=()
exclude=()
include=()
for op in "${session_enders[@]}"; do
  exclude+=(--exclude-name "$op")
  include+=(--include-name "$op")
done
for role in $roles; do
  echo "== fuzzing as $role"
  role_status=0
  # Both sessions opened now (a failed login stops the script here).
  token="$(session "$role" 0)"
  other_token="$(session "$role" 1)"
  fuzz "$role" "$token" "$role" "${exclude[@]}" || role_status=1
  fuzz "$role" "$other_token" "$role-session-enders" "${include[@]}" || role_status=1
  read -r ops_a ex_a fail_a <<<"$(figures "$work/$role.json")"
  read -r ops_b ex_b fail_b <<<"$(figures "$work/$role-session-enders.json")"
  result[$role]="$((ops_a + ops_b)) $((ex_a + ex_b)) $((fail_a + fail_b))"
  if [ "$role_status" -ne 0 ]; then
    failed_roles+=("$role")
    for name in "$role" "$role-session-enders"; do
      sed -n '/^=* \(FAILURES\|ERRORS\) =*$/,$p' "$work/$name.txt"
    done
  fi
done
stop_server

if grep -q ' ERROR \|panicked' "$work/server.log"; then
  echo "== the server logged errors:"
  grep ' ERROR \|panicked' "$work/server.log" | head -n 20
fi

echo
printf '%-10s %10s %9s %9s\n' role operations examples failures
total_ex=0
total_fail=0
for role in $roles; do
  read -r ops ex fail <<<"${result[$role]}"
  printf '%-10s %10d %9d %9d\n' "$role" "$ops" "$ex" "$fail"
  total_ex=$((total_ex + ex))
  total_fail=$((total_fail + fail))
done
echo "seed $seed, at most $examples examples per operation and phase, $((SECONDS - started)) s"
if [ "${#failed_roles[@]}" -gt 0 ]; then
  keep_work=1
  echo "failing roles: ${failed_roles[*]}; reports in $work"
  [ "$total_fail" -gt 0 ] || total_fail=1
  echo "api-fuzz: $((total_ex - total_fail)) passed, $total_fail failed"
  exit 1
fi
echo "api-fuzz: $total_ex passed, 0 failed"
