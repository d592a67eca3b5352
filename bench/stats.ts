// Small statistics helpers for the benchmarks.

/** The q-quantile (0..1) of `xs`, by nearest rank. */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/** Nanoseconds per call of `fn`, timed over `batch` calls, repeated `rounds` times. */
export function perCallNs(fn: (i: number) => void, batch: number, rounds: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn(i);
    out.push(Number(process.hrtime.bigint() - t0) / batch);
  }
  return out;
}
