// Root-only energy_uj (Linux >= 5.10), read by an unprivileged process for real.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { FakeProc, FakeRapl, tempDir } from './helpers/sysfs.js';

const run = promisify(execFile);

/**
 * The package's run-time files in a world-readable temp dir: the checkout itself may sit below a
 * folder that an unprivileged user cannot enter (mktemp -d makes them 0700).
 */
function readableCopy(): string {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const dir = tempDir('cc-pkg-');
  for (const part of ['package.json', 'dist/src', 'build/release.wasm', 'data', 'node_modules/piscina']) {
    cpSync(join(root, part), join(dir, part), { recursive: true });
  }
  return dir;
}

test('EACCES on energy_uj: one warning naming the file and the fixes, then the estimator', async (t) => {
  const rapl = new FakeRapl([
    { id: 'intel-rapl:0', name: 'package-0', energyUj: 1000 },
    { id: 'intel-rapl:0:0', name: 'core', energyUj: 10 },
  ]);
  const proc = new FakeProc({ model: 'AMD EPYC 7543 32-Core Processor' });
  const pkg = readableCopy();
  const samplerUrl = pathToFileURL(join(pkg, 'dist/src/sampler/sampler.js')).href;
  t.after(() => { rapl.cleanup(); proc.cleanup(); rmSync(pkg, { recursive: true, force: true }); });
  // As root, mode 0400 is what the kernel sets and only an unprivileged child is refused; as an
  // ordinary user, the owner is refused once the mode is 000.
  const asRoot = process.getuid?.() === 0;
  rapl.chmod('intel-rapl:0', asRoot ? 0o400 : 0o000);
  const script = `
    import { Sampler } from ${JSON.stringify(samplerUrl)};
    const s = new Sampler({ raplDir: ${JSON.stringify(rapl.root)}, procDir: ${JSON.stringify(proc.root)}, cgroupDir: ${JSON.stringify(proc.root)} });
    const warnings = [];
    s.addEventListener('warning', (e) => warnings.push(e.message));
    const info = await s.start();
    await s.sampleNow();
    await s.stop();
    console.log(JSON.stringify({ channels: info.channels.map((c) => [c.source, c.measured]), cpu: info.plan.cpu.source,
      reason: info.plan.rapl.choices.find((c) => c.zone.id === 'intel-rapl:0').reason, warnings }));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script],
    { timeout: 20_000, ...(asRoot ? { uid: 65534, gid: 65534 } : {}) });
  const out = JSON.parse(stdout) as { channels: unknown; cpu: string; reason: string; warnings: string[] };
  assert.deepEqual(out.channels, [['cpu-load', false], ['dimm-model', false]]);
  assert.equal(out.cpu, 'cpu-load');
  assert.equal(out.reason, 'energy_uj not readable (EACCES)');
  assert.equal(out.warnings.length, 1);
  assert.equal(out.warnings[0], `RAPL energy counters are not readable by this user: ${rapl.path('intel-rapl:0')}/energy_uj `
    + '(energy_uj is root-only since Linux 5.10). CPU energy will be estimated instead. To measure it, allow reading '
    + 'the counters: `sudo chmod a+r /sys/class/powercap/intel-rapl*/energy_uj /sys/class/powercap/intel-rapl*/*/energy_uj` '
    + '(until reboot), or a sysfsutils line `mode class/powercap/intel-rapl:0/energy_uj = 0444` per zone in '
    + '/etc/sysfs.conf, or a udev rule giving a group read access (mode 0440).');
});
