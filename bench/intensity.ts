// Carbon-intensity lookup cost, cold (fresh process: data loaded on first use) and warm.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { intensityFor } from '../src/emissions/intensity.js';
import type { Figure } from './run.js';
import { median, perCallNs } from './stats.js';

const run = promisify(execFile);

export async function intensityLookup(): Promise<Figure[]> {
  const url = new URL('../src/emissions/intensity.js', import.meta.url).href;
  const script = `const t0 = performance.now();
    const { intensityFor } = await import(${JSON.stringify(url)});
    const t1 = performance.now();
    intensityFor({ countryIsoCode: 'FRA' });
    console.log(JSON.stringify([t1 - t0, performance.now() - t1]));`;
  const importMs: number[] = [];
  const ms: number[] = [];
  for (let i = 0; i < 9; i++) {
    const [imp, first] = JSON.parse((await run(process.execPath, ['--input-type=module', '-e', script])).stdout) as [number, number];
    importMs.push(imp);
    ms.push(first);
  }
  intensityFor({ countryIsoCode: 'FRA' });
  const warm = perCallNs(() => intensityFor({ countryIsoCode: 'USA', region: 'california' }), 10_000, 21);
  return [
    { name: 'intensity lookup, cold (first lookup: loads data/countries.json)', value: median(ms), unit: 'ms', goal: '< 5 ms',
      method: 'median of 9 fresh processes: the first intensityFor({ countryIsoCode: "FRA" }) after the import, data loading included' },
    { name: 'intensity module import, cold', value: median(importMs), unit: 'ms',
      method: 'same processes: the dynamic import() of src/emissions/intensity.js itself (Node\'s ESM loader)' },
    { name: 'intensity lookup, warm (USA / california)', value: median(warm) / 1000, unit: 'µs',
      method: 'median of 21 batches of 10,000 lookups' },
  ];
}
