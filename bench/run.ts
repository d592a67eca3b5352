// `npm run bench`: every figure of the engine, with its method, into bench/results.json.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { readCpuInfo } from '../src/sources/cpu-info.js';
import { boardReport } from './board.js';
import { coldStart, markPair, samplerCpu, tickCost } from './engine.js';
import { gpuSamplerCpu, gpuTickCost, reconcileCost } from './gpu.js';
import { hotLoop } from './hotloop.js';
import { idleCost } from './idle.js';
import { integratorVsReference, interpolateVsReference } from './integrator.js';
import { intensityLookup } from './intensity.js';
import { scrapeLoad } from './scrape.js';
import { distinctNames, firstStart, stopAfterTasks } from './tasks.js';
import { trackerCosts } from './tracker.js';

/** One measured figure and how it was measured. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly method: string;
  readonly goal?: string;
}

const machine = { cpu: readCpuInfo('/proc').model ?? cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version };
const figures: (Figure & { machine: typeof machine; date: string })[] = [];
for (const bench of [markPair, tickCost, gpuTickCost, integratorVsReference, interpolateVsReference, reconcileCost, coldStart, samplerCpu, gpuSamplerCpu,
  intensityLookup, trackerCosts, firstStart, stopAfterTasks, distinctNames, hotLoop, idleCost, boardReport, () => scrapeLoad()]) {
  const got = await bench();
  for (const f of got) console.log(`${f.name.padEnd(58)} ${String(+f.value.toPrecision(4)).padStart(10)} ${f.unit}`);
  const date = new Date().toISOString();
  figures.push(...got.map((f) => ({ ...f, machine, date })));
}

const results = {
  date: new Date().toISOString(),
  machine,
  command: 'npm run bench',
  figures,
};
writeFileSync(fileURLToPath(new URL('../../bench/results.json', import.meta.url)), JSON.stringify(results, null, 2) + '\n');
