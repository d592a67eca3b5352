// What a started, idle tracker costs its process: whole-process CPU over a minute, minus a bare node
// idling in the same window (both children run at once, so they share the machine's state).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Figure } from './run.js';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./idle-child.js', import.meta.url));

export async function idleCost(windowMs = 60_000, settleMs = 15_000): Promise<Figure[]> {
  const once = async (mode: string): Promise<{ cpuMs: number; windowMs: number }> =>
    JSON.parse((await run(process.execPath, [child, mode, String(settleMs), String(windowMs)])).stdout) as { cpuMs: number; windowMs: number };
  const [tracker, bare] = await Promise.all([once('tracker'), once('bare')]);
  const pct = (cpuMs: number): number => (100 * cpuMs) / windowMs;
  const method = `process.cpuUsage() of a child over ${windowMs / 1000} s after ${settleMs / 1000} s of settling, a tracker started at its `
    + 'default settings (4 fake RAPL zones) and a bare node idling in the same window';
  return [
    { name: 'idle started tracker, whole process CPU minus bare node', value: pct(tracker.cpuMs - bare.cpuMs), unit: '% of one core',
      goal: '≤ 0.1 % (CodeCarbon 3.3.0 here: 0.23 %)', method },
    { name: 'idle started tracker, whole process CPU', value: pct(tracker.cpuMs), unit: '% of one core', method },
    { name: 'baseline: bare node idling, whole process CPU', value: pct(bare.cpuMs), unit: '% of one core', method },
  ];
}
