// `codecarbon monitor --prometheus-listen-address`: the machine's run served at /metrics for as long
// as it lasts (an endpoint that does not hold the process open does not end monitor's run early).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCsv } from '../src/output/csv.js';
import { freePort, parseExposition, until } from './helpers/prometheus.js';
import { FakeRapl, tempDir } from './helpers/sysfs.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

test('monitor --prometheus-listen-address: /metrics while the machine is tracked; the energy served never exceeds the row written at SIGINT', async (t) => {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const dir = tempDir('cc-mon-');
  const port = await freePort();
  const child = spawn(process.execPath, [cli, 'monitor', '--offline', '--country-iso-code', 'FRA', '--prometheus-listen-address', String(port)],
    { cwd: dir, env: { PATH: process.env['PATH'], HOME: dir, CODECARBON_RAPL_DIR: rapl.root }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let energyJ = 0;
  await until('a scrape with energy', async () => {
    rapl.write('intel-rapl:0', (energyJ += 5) * 1e6);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const cpu = parseExposition(text).find((s) => s.name === 'codecarbon_energy_joules_total' && s.labels['component'] === 'cpu');
    return cpu !== undefined && cpu.value > 0 ? cpu.value : undefined;
  });
  const served = parseExposition(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())
    .find((s) => s.name === 'codecarbon_energy_joules_total' && s.labels['component'] === 'cpu')!.value;
  child.kill('SIGINT');
  assert.equal(await exited, 130);
  const [header, row] = parseCsv(readFileSync(join(dir, 'emissions.csv'), 'utf8'));
  assert.ok(served <= Number(row![header!.indexOf('cpu_energy')]) * 3.6e6 + 1e-6);
  await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`), /fetch failed/);
});
