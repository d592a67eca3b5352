// Bad counter files and zones that fail mid-run: readings skipped, warned once, nothing invented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Sampler, SamplerWarningEvent } from '../src/sampler/sampler.js';
import { openRapl, planRapl, type RaplZone } from '../src/sources/rapl.js';
import { FakeProc, FakeRapl, tempDir } from './helpers/sysfs.js';

test('empty, non-numeric, negative and huge counter values are skipped; the zone resumes exactly', async (t) => {
  const rapl = new FakeRapl([
    { id: 'intel-rapl:0', name: 'package-0', energyUj: 0 },
    { id: 'intel-rapl:1', name: 'package-1', energyUj: 1_000 },
  ]);
  const proc = new FakeProc();
  const sampler = new Sampler({ raplDir: rapl.root, procDir: proc.root, cgroupDir: proc.root, samplePeriodMs: 60_000 });
  const warnings: string[] = [];
  sampler.addEventListener('warning', (e) => warnings.push((e as SamplerWarningEvent).message));
  t.after(async () => { await sampler.stop(); rapl.cleanup(); proc.cleanup(); });
  await sampler.start();
  const t0 = sampler.timeline!.newestMs();
  let good = 0;
  for (const bad of ['', 'abc\n', '-5\n', '99999999999999999999999\n']) {
    good += 1_000;
    rapl.write('intel-rapl:0', good);
    rapl.write('intel-rapl:1', bad);
    await sampler.sampleNow();
  }
  rapl.write('intel-rapl:1', 1_500);
  await sampler.sampleNow();
  const e = sampler.timeline!.energyBetween(t0, sampler.timeline!.newestMs());
  assert.deepEqual([...e.energyUj.subarray(0, 2)], [4_000, 500]);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(warnings, [`${join(rapl.path('intel-rapl:1'), 'energy_uj')} held an invalid counter (empty): reading skipped.`]);
});

test('a zone whose file starts failing mid-run is skipped with one warning; the others go on', async () => {
  const child = spawn('sleep', ['30']);
  const dir = tempDir();
  const good = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 42 }]);
  try {
    const vanishing = join(dir, 'intel-rapl:1');
    mkdirSync(vanishing);
    symlinkSync(`/proc/${child.pid}/stat`, join(vanishing, 'energy_uj'));
    const zone = (id: string, path: string): RaplZone => ({ id, path, name: id, provider: 'msr', domain: 'package', maxRangeUj: 1000n, readable: true });
    const plan = planRapl([good.root], false);
    const warnings: string[] = [];
    const source = openRapl({ ...plan, cpu: [...plan.cpu, zone('intel-rapl:1', vanishing)] }, (cause) => warnings.push(cause), false);
    const readings: [number, bigint | number][] = [];
    const sink = { setCounter: (i: number, v: bigint | number) => readings.push([i, v]), setPower: () => assert.fail('no power here'),
      setHybridCounter: () => assert.fail('no GPU here'), retireHybrid: () => assert.fail('no GPU here'),
      setUtilization: () => assert.fail('no GPU here'), rebase: () => assert.fail('no file replaced here') };
    source.read(sink, 0, 0, false);
    await new Promise((r) => { child.once('exit', r); child.kill(); });
    source.read(sink, 0, 1, false);
    source.read(sink, 0, 2, false);
    source.close();
    assert.deepEqual(readings, [[0, 42], [0, 42], [0, 42]]); // a decimal file reads as a number: no BigInt per reading
    // The source names a cause at every failure; the sampler thread passes each cause on once.
    assert.deepEqual(warnings, [
      `rapl-parse:${join(vanishing, 'energy_uj')}`,
      `rapl-read:${join(vanishing, 'energy_uj')}:ESRCH`,
      `rapl-read:${join(vanishing, 'energy_uj')}:ESRCH`,
    ]);
  } finally {
    child.kill();
    good.cleanup();
  }
});
