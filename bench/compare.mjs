// `node --expose-gc bench/compare.mjs OLD_CHECKOUT`: the tracker's caller-path costs (task pair,
// decorator) of an older build and of this one, measured alternately in fresh processes in one
// session (3 rounds each), medians into bench/results.json beside the other figures.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const old = process.argv[2];
if (!old) throw new Error('usage: node bench/compare.mjs OLD_CHECKOUT (a built checkout of the older commit)');
const here = fileURLToPath(new URL('..', import.meta.url));
const rev = (dir) => execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
const once = (dir) => JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e',
  `const { trackerCosts } = await import(${JSON.stringify(join(dir, 'dist/bench/tracker.js'))}); process.stdout.write(JSON.stringify(await trackerCosts()));`],
{ cwd: dir, encoding: 'utf8', maxBuffer: 1 << 24 }));
const wanted = ['tracker task pair (startTask + stopTask, named)', 'decorator overhead on the caller\'s path (sync function)'];
const got = { before: [], after: [] };
for (let round = 0; round < 3; round++) {
  got.before.push(once(old));
  got.after.push(once(here));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const figures = [];
for (const name of wanted) {
  const pick = (runs) => median(runs.map((r) => r.find((f) => f.name === name).value));
  const [before, after] = [pick(got.before), pick(got.after)];
  const unit = got.after[0].find((f) => f.name === name).unit;
  const method = `median of 3 fresh processes each, alternating, in one session: commit ${rev(old)} (before) and ${rev(here)} (after)`;
  figures.push({ name: `${name}, before (${rev(old)})`, value: before, unit, method }, { name: `${name}, after (${rev(here)})`, value: after, unit, method });
  console.log(`${name.padEnd(58)} before ${before.toPrecision(4)} ${unit}   after ${after.toPrecision(4)} ${unit}`);
}
const path = join(here, 'bench/results.json');
const results = JSON.parse(readFileSync(path, 'utf8'));
const machine = results.machine;
const date = new Date().toISOString();
results.figures = results.figures.filter((f) => !figures.some((g) => g.name.replace(/, (before|after) \(.*\)$/, '') === f.name.replace(/, (before|after) \(.*\)$/, '') && /, (before|after) \(/.test(f.name)));
results.figures.push(...figures.map((f) => ({ ...f, machine, date })));
writeFileSync(path, JSON.stringify(results, null, 2) + '\n');
