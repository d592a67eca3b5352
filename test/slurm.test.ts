// A SLURM job counts for what it holds (scontrol's NumCPUs and mem=), as CodeCarbon reads it: a fake
// scontrol on PATH plays the job.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseCsv } from '../src/output/csv.js';
import { parseSlurmJob, readSlurmJob } from '../src/sources/slurm.js';
import { FakeRapl, tempDir } from './helpers/sysfs.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const gib = 1024 ** 3;

/** A folder holding a `scontrol` that prints `show job <id>` as SLURM does, for a job of `cpus` CPUs and `mem`. */
function fakeScontrol(cpus: number, mem: string): string {
  const bin = tempDir('cc-slurm-bin-');
  writeFileSync(join(bin, 'scontrol'), `#!/bin/sh
echo "JobId=$3 JobName=train UserId=me(1000) GroupId=me(1000)"
echo "   NumNodes=1 NumCPUs=${cpus} NumTasks=1 CPUs/Task=${cpus} ReqB:S:C:T=0:0:*:*"
echo "   ReqTRES=cpu=${cpus},mem=${mem},node=1,billing=${cpus}"
echo "   AllocTRES=cpu=${cpus},mem=${mem},node=1,billing=${cpus}"
`);
  chmodSync(join(bin, 'scontrol'), 0o755);
  return bin;
}

test('scontrol\'s text: NumCPUs, and mem= from AllocTRES (else TRES) in binary units, M when none', () => {
  assert.deepEqual(parseSlurmJob('7', '   NumNodes=1 NumCPUs=16 NumTasks=1\n   AllocTRES=cpu=16,mem=64G,node=1\n'),
    { jobId: '7', cpus: 16, memBytes: 64 * gib });
  assert.equal(parseSlurmJob('7', 'NumCPUs=2 TRES=cpu=2,mem=1.5T,node=1').memBytes, 1.5 * 1024 * gib);
  assert.equal(parseSlurmJob('7', 'NumCPUs=2 AllocTRES=cpu=2,mem=512,node=1').memBytes, 512 * 1024 ** 2);
  assert.deepEqual(parseSlurmJob('7', 'JobState=PENDING'), { jobId: '7', cpus: null, memBytes: null });
});

test('outside SLURM nothing is asked; a job whose scontrol cannot be run is one warning, and the node counts', (t: TestContext) => {
  const warnings: string[] = [];
  assert.equal(readSlurmJob({}, (w) => warnings.push(w)), null);
  const path = process.env['PATH'];
  t.after(() => { process.env['PATH'] = path; });
  process.env['PATH'] = tempDir('cc-no-scontrol-');
  assert.equal(readSlurmJob({ SLURM_JOBID: '99' }, (w) => warnings.push(w)), null);
  assert.deepEqual(warnings, ['SLURM job 99: `scontrol show job 99` could not be read (ENOENT): the node\'s CPU count and memory are used '
    + 'instead of the job\'s; put scontrol on PATH']);
});

test('detect and a tracker\'s row under a SLURM job of 3 CPUs and 2 GiB: cpu_count 3, ram_total_size 2, the RAM model sized for 2 GiB', async () => {
  const bin = fakeScontrol(3, '2G');
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const dir = tempDir('cc-slurm-');
  const env = { PATH: `${bin}:${process.env['PATH']}`, HOME: dir, SLURM_JOB_ID: '4242', CODECARBON_RAPL_DIR: rapl.root };
  const detect = JSON.parse((await run(process.execPath, [cli, 'detect', '--json'], { env, cwd: dir })).stdout) as {
    cpu: { threads: number; usableCpus: number; slurm: { jobId: string; cpus: number; memBytes: number } };
    ram: { modelBytes: number };
  };
  assert.deepEqual([detect.cpu.threads, detect.cpu.slurm, detect.ram.modelBytes], [3, { jobId: '4242', cpus: 3, memBytes: 2 * gib }, 2 * gib]);
  assert.ok(detect.cpu.usableCpus <= 3);
  await run(process.execPath, [cli, 'monitor', '--offline', '--country-iso-code', 'FRA', '--', process.execPath, '-e', '0'], { env, cwd: dir });
  const [header, row] = parseCsv(readFileSync(join(dir, 'emissions.csv'), 'utf8'));
  const at = (c: string): string => row![header!.indexOf(c)]!;
  assert.deepEqual([at('cpu_count'), at('ram_total_size')], ['3', '2']);
  rapl.cleanup();
});
