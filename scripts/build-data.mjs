#!/usr/bin/env node
// Builds data/ from CodeCarbon's reference data files (../shared/reference/codecarbon-data).
// Run: npm run build:data [-- path/to/codecarbon-data]. The generated files are committed, since
// an installed package has no reference folder.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const reference = process.argv[2] ?? join(root, '..', 'shared', 'reference', 'codecarbon-data');
const out = join(root, 'data');

/** RFC 4180 rows: quoted fields may hold commas and doubled quotes. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows.filter((r) => r.some((f) => f !== ''));
}

function buildCpuPower() {
  const [header, ...rows] = parseCsv(readFileSync(join(reference, 'hardware', 'cpu_power.csv'), 'utf8').replace(/^\uFEFF/, ''));
  if (header.join() !== 'Name,TDP') throw new Error(`cpu_power.csv: unexpected header ${header.join()}`);
  const tdpW = {};
  const skipped = [];
  for (const [name, tdp] of rows) {
    const w = Number(tdp);
    // Upstream has a few malformed figures (e.g. "27.29.5"): a TDP we cannot read is left out
    // and listed, never guessed.
    if (!name?.trim() || !/^\d+(\.\d+)?$/.test(tdp?.trim() ?? '') || !(w > 0)) skipped.push([name, tdp]);
    else tdpW[name.trim()] = w;
  }
  const doc = {
    about: 'CPU model name -> thermal design power (TDP) in watts, from CodeCarbon 3.3.0 hardware/cpu_power.csv (MIT). See data/README.md.',
    unit: 'W',
    count: Object.keys(tdpW).length,
    skipped,
    tdpW,
  };
  writeFileSync(join(out, 'cpu-power.json'), JSON.stringify(doc) + '\n');
  return `${doc.count} CPU models, ${skipped.length} malformed rows left out: ${JSON.stringify(skipped)}`;
}

mkdirSync(out, { recursive: true });
console.log(`data/cpu-power.json: ${buildCpuPower()}`);
