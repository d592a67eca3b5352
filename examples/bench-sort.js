// A tinybench suite with energy next to time: `npx codecarbon bench examples/bench-sort.js`,
// or run this file with node to use the API directly.
import { Bench } from 'tinybench';

const numbers = Array.from({ length: 10_000 }, () => Math.random());
const bench = new Bench({ time: 1000 });
bench
  .add('sort 10k numbers', () => [...numbers].sort((a, b) => a - b))
  .add('sort 10k numbers, typed array', () => Float64Array.from(numbers).sort());

export default bench;

if (import.meta.url === `file://${process.argv[1]}`) {
  const { attachEnergy } = await import('codecarbon/bench');
  const energy = await attachEnergy(bench, { baseline: { durationMs: 1000 } });
  await bench.run();
  console.table(await energy.table());
  await energy.stop();
}
