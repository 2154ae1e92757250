#!/usr/bin/env bash
# Fuzzing (cargo-fuzz, libFuzzer): builds every target of fuzz/ and runs each for a
# budget of SECONDS (default 20), then prints per target the executions, the
# coverage (libFuzzer's final `cov:` edges and `ft:` features) and the time.
# Fails on the first crash (panic, sanitizer report, timeout or memory limit); the
# input that did it is left in fuzz/artifacts/TARGET/.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     (all targets when none is named)
#
# Each target starts from its seeds in fuzz/corpus/TARGET (read, never written) and
# a working corpus outside the clone (FUZZ_WORK, default /var/tmp/healthcode-fuzz),
# which keeps what earlier runs found. Builds go to FUZZ_TARGET_DIR (default
# /var/tmp/healthcode-fuzz-target), never to the workspace's target directory.
# FUZZ_SANITIZER=none runs without AddressSanitizer (faster; panics and overflows are
# still caught). Installs cargo-fuzz if it is missing. Stable Rust: the sanitizer's
# -Z flags are allowed through RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
[ "$#" -gt 0 ] && shift
case "$seconds" in
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-/var/tmp/healthcode-fuzz-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export RUSTC_BOOTSTRAP=1
work="${FUZZ_WORK:-/var/tmp/healthcode-fuzz}"
sanitizer="${FUZZ_SANITIZER:-address}"
triple="$(rustc -vV | sed -n 's/^host: //p')"
bin_dir="$CARGO_TARGET_DIR/$triple/release"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cd fuzz && cargo fuzz list)
fi

started=$SECONDS
echo "== building ${#targets[@]} fuzz targets (sanitizer: $sanitizer)"
# Release with debug assertions and overflow checks (cargo-fuzz's default); 16
# codegen units build several times faster than cargo-fuzz's 1, for little speed.
(cd fuzz && cargo fuzz build --sanitizer "$sanitizer" --codegen-units 16)
build_time=$((SECONDS - started))
echo "== built in ${build_time} s"

summary=()
failed=()
for target in "${targets[@]}"; do
  mkdir -p "$work/corpus/$target" "fuzz/artifacts/$target" "$work/logs"
  log="$work/logs/$target.log"
  dict=()
  [ -f "fuzz/dict/$target.dict" ] && dict=("-dict=fuzz/dict/$target.dict")
  echo "== fuzzing $target for ${seconds} s"
  t0=$SECONDS
  status=0
  "$bin_dir/$target" \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="fuzz/artifacts/$target/" "${dict[@]}" \
    "$work/corpus/$target" "fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  elapsed=$((SECONDS - t0))
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)"
  final="$(grep -E '^#[0-9]+' "$log" | grep ' cov: ' | tail -n1 || true)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$final")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$final")"
  corp="$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$final")"
  line="$(printf '%-14s %12s execs  cov %6s  ft %7s  corpus %-12s %5s s' \
    "$target" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$elapsed")"
  if [ "$status" -ne 0 ]; then
    echo "!! $target failed (exit $status); log: $log" >&2
    grep -E -A30 'panicked at|ERROR: libFuzzer|ERROR: AddressSanitizer|SUMMARY' "$log" | head -n 60 >&2 || tail -n 40 "$log" >&2
    ls -1 "fuzz/artifacts/$target" >&2 || true
    failed+=("$target")
    line="$line  FAILED"
  fi
  echo "$line"
  summary+=("$line")
done

echo "== fuzzing summary: ${seconds} s per target, build ${build_time} s, total $((SECONDS - started)) s"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz targets with a crash: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
