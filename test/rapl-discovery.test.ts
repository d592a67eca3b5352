// RAPL discovery on fake powercap trees: which zones are chosen, and why the others are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRapl } from '../src/sources/rapl.js';
import { FakeRapl, type ZoneSpec } from './helpers/sysfs.js';

function plan(zones: ZoneSpec[], opts: { layout?: 'flat' | 'nested'; preferPsys?: boolean } = {}) {
  const tree = new FakeRapl(zones, opts.layout ?? 'flat');
  try {
    const p = planRapl([tree.root], opts.preferPsys ?? false);
    return {
      cpu: p.cpu.map((z) => z.id),
      ram: p.ram.map((z) => z.id),
      why: Object.fromEntries(p.choices.map((c) => [c.zone.id, c.reason])),
    };
  } finally {
    tree.cleanup();
  }
}

const laptop: ZoneSpec[] = [
  { id: 'intel-rapl:0', name: 'package-0', energyUj: 52649883221 },
  { id: 'intel-rapl:0:0', name: 'core', energyUj: 1000 },
  { id: 'intel-rapl:0:1', name: 'uncore', energyUj: 200 },
  { id: 'intel-rapl:0:2', name: 'dram', energyUj: 300 },
  { id: 'intel-rapl:1', name: 'psys', energyUj: 117870082040 },
  { id: 'intel-rapl-mmio:0', name: 'package-0', energyUj: 52649883221 },
];

test('laptop: the package, not psys/core/uncore or the MMIO twin; DRAM as RAM', () => {
  for (const layout of ['flat', 'nested'] as const) {
    const p = plan(laptop, { layout });
    assert.deepEqual(p.cpu, ['intel-rapl:0']);
    assert.deepEqual(p.ram, ['intel-rapl:0:2']);
    assert.deepEqual(p.why, {
      'intel-rapl:0': 'CPU package energy',
      'intel-rapl:0:0': 'part of its package zone: adding it would count it twice',
      'intel-rapl:0:1': 'part of its package zone: adding it would count it twice',
      'intel-rapl:0:2': 'DRAM energy of its socket, counted as RAM',
      'intel-rapl:1': 'contains the package zones: adding it would count them twice',
      'intel-rapl-mmio:0': 'duplicates intel-rapl:0 (package-0) through MMIO',
    });
  }
});

test('rapl_prefer_psys: psys alone', () => {
  const p = plan(laptop, { preferPsys: true });
  assert.deepEqual(p.cpu, ['intel-rapl:1']);
  assert.equal(p.why['intel-rapl:0'], 'inside the psys zone chosen by rapl_prefer_psys');
  assert.equal(p.why['intel-rapl:1'], 'platform energy, chosen by rapl_prefer_psys');
});

test('psys alone when no package zone exists', () => {
  const p = plan([{ id: 'intel-rapl:0', name: 'psys', energyUj: 5 }]);
  assert.deepEqual(p.cpu, ['intel-rapl:0']);
  assert.equal(p.why['intel-rapl:0'], 'platform energy: no readable package zone');
});

test('two sockets: both packages, and both DRAM zones although they share a name', () => {
  const p = plan([
    { id: 'intel-rapl:0', name: 'package-0', energyUj: 1000 },
    { id: 'intel-rapl:0:0', name: 'dram', energyUj: 10 },
    { id: 'intel-rapl:1', name: 'package-1', energyUj: 2000 },
    { id: 'intel-rapl:1:0', name: 'dram', energyUj: 20 },
  ]);
  assert.deepEqual(p.cpu, ['intel-rapl:0', 'intel-rapl:1']);
  assert.deepEqual(p.ram, ['intel-rapl:0:0', 'intel-rapl:1:0']);
});

test('multi-die AMD: per-die zones mirroring one counter count once', () => {
  const p = plan([
    { id: 'intel-rapl:0', name: 'package-0-die-0', energyUj: 65532610987 - 7 },
    { id: 'intel-rapl:1', name: 'package-0-die-1', energyUj: 65532610987 - 7 },
    { id: 'intel-rapl:2', name: 'package-1-die-0', energyUj: 123456 },
  ]);
  assert.deepEqual(p.cpu, ['intel-rapl:0', 'intel-rapl:2']);
  assert.equal(p.why['intel-rapl:1'], 'mirrors intel-rapl:0 (package-0-die-0): equal value and equal delta, one counter per socket');
});

test('hex zone ids (intel-rapl:a) are found and sorted numerically', () => {
  const zones = Array.from({ length: 11 }, (_, i) => ({ id: `intel-rapl:${i.toString(16)}`, name: `package-${i}`, energyUj: 1000 + i }));
  assert.equal(plan(zones).cpu.length, 11);
});

test('an MMIO zone is kept when its MSR twin cannot be read', () => {
  const p = plan([
    { id: 'intel-rapl:0', name: 'package-0', energyUj: 'garbage' },
    { id: 'intel-rapl-mmio:0', name: 'package-0', energyUj: 1000 },
  ]);
  assert.deepEqual(p.cpu, ['intel-rapl-mmio:0']);
  assert.equal(p.why['intel-rapl:0'], 'energy_uj not readable (not a number: "garbage")');
});

test('no zones at all: nothing chosen', () => {
  assert.deepEqual(plan([]), { cpu: [], ram: [], why: {} });
});
