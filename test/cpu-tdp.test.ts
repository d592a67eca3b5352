// CPU model → TDP: CodeCarbon's matching order, sockets, and its fallbacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { lookupTdp, matchCpuModel, normaliseModel, readCpuInfo } from '../src/sources/cpu-info.js';
import { FakeProc } from './helpers/sysfs.js';

fc.configureGlobal({ ...fc.readConfigureGlobal(), includeErrorInReport: true });

test('brand strings are cleaned as CodeCarbon cleans them', () => {
  assert.equal(normaliseModel('Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz'), 'Intel Xeon E5-2620 v3');
  assert.equal(normaliseModel('Intel(R) Core(TM) i5-7400 CPU @ 3.00GHz'), 'Intel Core i5-7400');
});

test('exact, normalised and word-set matches; ambiguity is no match', () => {
  assert.deepEqual(matchCpuModel('amd epyc 7543'), { name: 'AMD EPYC 7543', tdpW: 225, origin: 'exact' });
  assert.deepEqual(matchCpuModel('Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz'), { name: 'Intel Xeon E5-2620 v3', tdpW: 85, origin: 'normalised' });
  assert.deepEqual(matchCpuModel('AMD Ryzen 5 3600 6-Core Processor'), { name: 'AMD Ryzen 5 3600', tdpW: 65, origin: 'word-set' });
  assert.equal(matchCpuModel('AMD EPYC'), null); // a subset of hundreds of names: a guess, refused
  assert.equal(matchCpuModel('Imaginary Chip 9000'), null);
});

test('TDP × sockets on a match; 4 W per thread when unknown; 85 W when unreadable; forced as is', () => {
  assert.deepEqual(lookupTdp({ model: 'Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz', sockets: 2, threads: 24 }, null), {
    tdpW: 170, origin: 'normalised', entry: 'Intel Xeon E5-2620 v3',
    detail: 'TDP 85 W × 2 socket(s) = 170 W (normalised match "Intel Xeon E5-2620 v3")',
  });
  assert.equal(lookupTdp({ model: 'AMD EPYC', sockets: 2, threads: 8 }, null).tdpW, 32);
  assert.equal(lookupTdp({ model: null, sockets: 1, threads: 8 }, null).tdpW, 85);
  assert.deepEqual(lookupTdp({ model: 'AMD EPYC 7543', sockets: 2, threads: 8 }, 120),
    { tdpW: 120, origin: 'forced', detail: 'TDP 120 W from force_cpu_power' });
});

test('/proc/cpuinfo: model, sockets from physical ids, threads', (t) => {
  const proc = new FakeProc({ model: 'AMD EPYC 7543 32-Core Processor', sockets: 2, threads: 8 });
  t.after(() => proc.cleanup());
  assert.deepEqual(readCpuInfo(proc.root), { model: 'AMD EPYC 7543 32-Core Processor', sockets: 2, threads: 8 });
});

/** The table's models, read from the data file as a user's package holds it. */
const models = (JSON.parse(readFileSync(new URL('../../data/cpu-power.json', import.meta.url), 'utf8')) as { models: string })
  .models.split('\n').map((line) => { const [name, tdp] = line.split('\t'); return { name: name!, tdpW: Number(tdp) }; });

/** CodeCarbon's matching written the plain way: a map by name, then every name's words compared. */
function referenceMatch(model: string): { name: string; tdpW: number; origin: string } | null {
  const byName = new Map(models.map((m) => [m.name.toLowerCase(), m]));
  const words = (s: string): Set<string> => new Set(s.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean));
  const within = (a: Set<string>, b: Set<string>): boolean => [...a].every((w) => b.has(w));
  const exact = byName.get(model.trim().toLowerCase());
  if (exact) return { ...exact, origin: 'exact' };
  const clean = normaliseModel(model);
  const normalised = byName.get(clean.toLowerCase());
  if (normalised) return { ...normalised, origin: 'normalised' };
  const mine = words(clean);
  if (mine.size === 0) return null;
  const hits = models.filter((m) => { const theirs = words(m.name); return within(mine, theirs) || within(theirs, mine); });
  return hits.length === 1 ? { ...hits[0]!, origin: 'word-set' } : null;
}

test('the indexed lookup finds what a scan of every name finds', () => {
  assert.ok(models.length > 4000, `the table holds ${models.length} models`);
  const vocabulary = [...new Set(models.flatMap((m) => m.name.split(/[^A-Za-z0-9]+/).filter(Boolean)))];
  const word = fc.oneof(fc.constantFrom(...vocabulary), fc.stringMatching(/^[A-Za-z0-9]{1,6}$/));
  const brand = fc.oneof(
    fc.constantFrom(...models.map((m) => m.name)),
    // A listed name as a CPU reports it: other case, trademarks, a clock, words added or left out.
    fc.tuple(fc.constantFrom(...models.map((m) => m.name)), fc.boolean(), fc.boolean(), fc.array(word, { maxLength: 2 }), fc.nat(4))
      .map(([name, upper, clock, extra, drop]) => {
        const parts = name.split(' ');
        if (drop < parts.length && parts.length > 1) parts.splice(drop, 1);
        const s = [...parts.map((p, i) => (i === 0 ? `${p}(R)` : p)), ...extra].join(' ') + (clock ? ' CPU @ 2.40GHz' : '');
        return upper ? s.toUpperCase() : s;
      }),
    fc.array(word, { minLength: 1, maxLength: 4 }).chain((ws) => fc.constantFrom(' ', '-', ' - ', '_').map((sep) => ws.join(sep))),
    fc.string({ maxLength: 12 }),
  );
  fc.assert(fc.property(brand, (b) => assert.deepEqual(matchCpuModel(b), referenceMatch(b), b)), { numRuns: 400 });
  // Every listed name finds itself.
  for (const m of models) assert.deepEqual(matchCpuModel(m.name), { ...m, origin: 'exact' });
});
