// The WebAssembly integrator against its TypeScript reference, on 10^6 samples.
import { performance } from 'node:perf_hooks';
import { createIntegrator, interpolate, type ChannelSpec, type EnergyIntegrator } from '../src/wasm/integrator.js';
import { interpolateReference, ReferenceIntegrator } from '../src/wasm/reference.js';
import type { Figure } from './run.js';

const samples = 1_000_000;
const specs: ChannelSpec[] = [
  { kind: 'counter', maxRange: 262_143_328_850n, maxPowerW: 2000 },
  { kind: 'counter', maxRange: 65_532_610_987n, maxPowerW: 2000 },
  { kind: 'power', maxPowerW: 1000 },
  { kind: 'mean-power', maxPowerW: 1000 },
];

function feed(it: EnergyIntegrator, counters: BigUint64Array, watts: Float64Array): number {
  const t0 = performance.now();
  for (let i = 0; i < samples; i++) {
    it.setCounter(0, counters[2 * i]!);
    it.setCounter(1, counters[2 * i + 1]!);
    it.setPower(2, watts[i]!);
    it.setPower(3, watts[i]!);
    it.step(i * 100);
  }
  return performance.now() - t0;
}

export async function integratorVsReference(): Promise<Figure[]> {
  const counters = new BigUint64Array(samples * 2);
  const watts = new Float64Array(samples);
  let a = 262_143_328_850n - 5_000_000n;
  let b = 0n;
  for (let i = 0; i < samples; i++) {
    a = (a + BigInt(Math.floor(Math.random() * 20_000_000))) % 262_143_328_850n;
    b = (b + BigInt(Math.floor(Math.random() * 20_000_000))) % 65_532_610_987n;
    counters[2 * i] = a;
    counters[2 * i + 1] = b;
    watts[i] = Math.random() * 500;
  }
  const wasm = createIntegrator(specs);
  const ref = new ReferenceIntegrator(specs);
  const wasmMs = feed(wasm, counters, watts);
  const refMs = feed(ref, counters, watts);
  const exact = wasm.totalsUj.every((v, i) => v === ref.totalsUj[i]);
  if (!exact) throw new Error(`integrator totals differ: ${[...wasm.totalsUj]} vs ${[...ref.totalsUj]}`);
  const method = '10^6 ticks of 4 channels (2 wrapping counters, trapezoid and interval-mean power), fed through the facade; totals identical';
  return [
    { name: 'integrator, WebAssembly (per tick of 4 channels)', value: (wasmMs * 1e6) / samples, unit: 'ns', method },
    { name: 'integrator, TypeScript reference (per tick of 4 channels)', value: (refMs * 1e6) / samples, unit: 'ns', method },
    { name: 'integrator speed-up, reference time ÷ WebAssembly time', value: refMs / wasmMs, unit: '×', goal: '> 1, exact', method },
  ];
}

export async function interpolateVsReference(): Promise<Figure[]> {
  const nSlots = 10_000;
  const k = 4;
  const slots = new Float64Array(nSlots * (k + 1));
  const acc = new Float64Array(k);
  for (let s = 0; s < nSlots; s++) {
    slots[s * (k + 1)] = s * 100;
    for (let c = 0; c < k; c++) { acc[c]! += Math.random() * 1e6; slots[s * (k + 1) + 1 + c] = acc[c]!; }
  }
  const queries = Float64Array.from({ length: samples }, () => Math.random() * nSlots * 100);
  const a = new Float64Array(samples * k);
  const b = new Float64Array(samples * k);
  let t0 = performance.now();
  interpolate(slots, nSlots, k, queries, a);
  const wasmMs = performance.now() - t0;
  t0 = performance.now();
  interpolateReference(slots, nSlots, k, queries, b);
  const refMs = performance.now() - t0;
  if (!a.every((v, i) => v === b[i])) throw new Error('interpolation results differ');
  const method = '10^6 marks over 10^4 samples of 4 channels, one batch; results identical';
  return [
    { name: 'batch interpolation, WebAssembly (per mark)', value: (wasmMs * 1e6) / samples, unit: 'ns', method },
    { name: 'batch interpolation, TypeScript reference (per mark)', value: (refMs * 1e6) / samples, unit: 'ns', method },
  ];
}
