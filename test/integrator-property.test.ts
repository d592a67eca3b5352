// Property tests: the WebAssembly integrator equals the TypeScript reference on random traces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { counterDelta, createIntegrator, interpolate, sumRuns, type ChannelSpec } from '../src/wasm/integrator.js';
import { counterDeltaReference, interpolateReference, reconcileReference, ReferenceIntegrator, sumRunsReference } from '../src/wasm/reference.js';

// A failing property's own error in the report (fast-check 4 otherwise keeps it in `cause`, which the test reporter does not print).
fc.configureGlobal({ ...fc.readConfigureGlobal(), includeErrorInReport: true });

const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

test('counterDelta lies in [0, maxRange] or is refused, and matches the reference', () => {
  fc.assert(fc.property(u64, u64, fc.oneof(fc.constant(0n), u64), (prev, cur, range) => {
    const d = counterDelta(prev, cur, range, 'debug');
    assert.equal(d, counterDeltaReference(prev, cur, range));
    if (d >= 0n && range !== 0n) assert.ok(d <= range);
    assert.ok(d >= -3n);
  }));
});

/** A true monotone energy trace, read through a counter that wraps at `range`. */
const wrappedTrace = fc.record({
  range: fc.bigInt({ min: 1000n, max: 2n ** 40n }),
  start: fc.bigInt({ min: 0n, max: 2n ** 40n }),
  steps: fc.array(fc.record({ dtMs: fc.integer({ min: 1, max: 200 }), frac: fc.double({ min: 0, max: 0.99, noNaN: true }) }), { maxLength: 200 }),
});

test('summed deltas reconstruct the true energy when no interval holds two wraps', () => {
  fc.assert(fc.property(wrappedTrace, ({ range, start, steps }) => {
    // max power chosen so that one interval can move at most `frac` of the range
    const spec: ChannelSpec = { kind: 'counter', maxRange: range, maxPowerW: 1e12 };
    const wasm = createIntegrator([spec], 'debug');
    const ref = new ReferenceIntegrator([spec]);
    let truth = start % range;
    let t = 0;
    for (const feed of [wasm, ref]) { feed.setCounter(0, truth); feed.step(t); }
    let total = 0n;
    for (const s of steps) {
      const inc = BigInt(Math.floor(s.frac * Number(range)));
      total += inc;
      truth = (truth + inc) % range;
      t += s.dtMs;
      for (const feed of [wasm, ref]) { feed.setCounter(0, truth); feed.step(t); }
    }
    assert.equal(wasm.totalsUj[0], Number(total));
    assert.equal(ref.totalsUj[0], Number(total));
  }));
});

const channelSpec = fc.oneof(
  fc.record({ kind: fc.constant('counter' as const), maxRange: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 2n ** 36n })), maxPowerW: fc.double({ min: 1, max: 1e4, noNaN: true }), scaleUj: fc.constantFrom(1, 1000) }),
  fc.record({ kind: fc.constantFrom('power' as const, 'mean-power' as const), maxPowerW: fc.double({ min: 1, max: 1e4, noNaN: true }) }),
);
const reading = fc.oneof(fc.constant(undefined), fc.bigInt({ min: 0n, max: 2n ** 37n }), fc.double({ min: -10, max: 2e4 }));

test('WASM integrator equals the reference on random multi-channel traces, with glitches', () => {
  fc.assert(fc.property(fc.array(channelSpec, { minLength: 1, maxLength: 5 }), fc.array(fc.array(reading, { minLength: 5, maxLength: 5 }), { maxLength: 60 }), (specs, ticks) => {
    const wasm = createIntegrator(specs, 'debug');
    const ref = new ReferenceIntegrator(specs);
    ticks.forEach((row, tick) => {
      specs.forEach((spec, i) => {
        const v = row[i];
        if (v === undefined) return;
        for (const feed of [wasm, ref]) {
          if (spec.kind === 'counter') feed.setCounter(i, typeof v === 'bigint' ? v : Number.isFinite(v) ? BigInt(Math.max(0, Math.floor(v))) : 0n);
          else feed.setPower(i, typeof v === 'number' ? v : Number(v % 20000n));
        }
      });
      assert.equal(wasm.step(tick * 100), ref.step(tick * 100));
      assert.deepEqual([...wasm.totalsUj], [...ref.totalsUj]);
    });
    specs.forEach((_, i) => assert.deepEqual(wasm.health(i), ref.health(i)));
  }));
});

test('chunked integration equals one-shot integration', () => {
  fc.assert(fc.property(fc.array(fc.double({ min: 0, max: 500, noNaN: true }), { minLength: 2, maxLength: 100 }), fc.integer({ min: 1, max: 99 }), (watts, cut) => {
    const spec: ChannelSpec = { kind: 'power', maxPowerW: 1000 };
    const oneShot = createIntegrator([spec], 'debug');
    watts.forEach((w, i) => { oneShot.setPower(0, w); oneShot.step(i * 100); });
    // chunked: integrate the first part, then continue the same channel; totals must agree
    const chunked = createIntegrator([spec], 'debug');
    const split = Math.min(cut, watts.length - 1);
    let partial = 0;
    watts.slice(0, split + 1).forEach((w, i) => { chunked.setPower(0, w); chunked.step(i * 100); });
    partial = chunked.totalsUj[0]!;
    const rest = createIntegrator([spec], 'debug');
    watts.slice(split).forEach((w, i) => { rest.setPower(0, w); rest.step((split + i) * 100); });
    assert.ok(Math.abs(partial + rest.totalsUj[0]! - oneShot.totalsUj[0]!) <= 1e-9 * Math.max(1, oneShot.totalsUj[0]!));
  }));
});

test('WASM interpolate equals the reference, clamps outside the span, or extends the first slope backwards', () => {
  const slotsArb = fc.array(fc.tuple(fc.double({ min: 0, max: 10, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 50 });
  fc.assert(fc.property(slotsArb, fc.array(fc.double({ min: -5, max: 600, noNaN: true }), { maxLength: 30 }), (rows, qs) => {
    let t = 0;
    let e0 = 0;
    let e1 = 0;
    const slots = new Float64Array(rows.length * 3);
    rows.forEach(([dt, d0, d1], i) => { t += dt; e0 += d0; e1 += d1; slots.set([t, e0, e1], i * 3); });
    const queries = Float64Array.from(qs);
    const a = new Float64Array(qs.length * 2);
    const b = new Float64Array(qs.length * 2);
    assert.equal(interpolate(slots, rows.length, 2, queries, a, { build: 'debug' }), interpolateReference(slots, rows.length, 2, queries, b));
    assert.deepEqual([...a], [...b]);
    const ea = new Float64Array(qs.length * 2);
    const eb = new Float64Array(qs.length * 2);
    assert.equal(interpolate(slots, rows.length, 2, queries, ea, { build: 'debug', extendHead: true }),
      interpolateReference(slots, rows.length, 2, queries, eb, true));
    assert.deepEqual([...ea], [...eb]);
    // Extended backwards, values before the first slot continue its slope: still monotone in time.
    const byTime = [...qs.keys()].sort((x, y) => qs[x]! - qs[y]!);
    for (let i = 1; i < byTime.length; i++) assert.ok(ea[byTime[i]! * 2]! >= ea[byTime[i - 1]! * 2]! - 1e-6 * Math.abs(ea[byTime[i - 1]! * 2]!));
    // cumulative values are monotone, so interpolated ones are too
    const order = [...qs.keys()].sort((x, y) => qs[x]! - qs[y]!);
    for (let i = 1; i < order.length; i++) assert.ok(a[order[i]! * 2]! >= a[order[i - 1]! * 2]!);
  }));
});

test('WASM sumRuns equals the reference: tasks in and out of order, runs of names, marks at the origin, chunks of 4,096', () => {
  const trace = fc.record({
    rows: fc.array(fc.tuple(fc.double({ min: 0, max: 10, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }),
      fc.double({ min: 0, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 40 }),
    tasks: fc.array(fc.tuple(fc.double({ min: -5, max: 400, noNaN: true }), fc.double({ min: 0, max: 50, noNaN: true })), { minLength: 1, maxLength: 60 }),
    runCuts: fc.array(fc.integer({ min: 1, max: 9000 }), { maxLength: 8 }), // runs that start in later chunks too
    repeat: fc.integer({ min: 1, max: 150 }),
    originAt: fc.boolean(), extendHead: fc.boolean(), settledAt: fc.double({ min: 0, max: 400, noNaN: true }),
  });
  fc.assert(fc.property(trace, ({ rows, tasks, runCuts, repeat, originAt, extendHead, settledAt }) => {
    let t = 0;
    let e0 = 0;
    let e1 = 0;
    const slots = new Float64Array(rows.length * 3);
    rows.forEach(([dt, d0, d1], i) => { t += dt; e0 += d0; e1 += d1; slots.set([t, e0, e1], i * 3); });
    // Repeated to pass one call's 4,096 tasks now and then: the sums run on across chunks.
    const all = Array.from({ length: repeat }, () => tasks).flat();
    const times = Float64Array.from(all.flatMap(([s, d]) => [s, s + d]));
    const count = all.length;
    const originMs = originAt ? times[0]! : -1;
    const cuts = [...new Set(runCuts.map((c) => c % count).filter((c) => c > 0))].sort((x, y) => x - y);
    const runStarts = Int32Array.from([0, ...cuts]);
    const sums = () => ({ energyUj: new Float64Array(runStarts.length * 2), durationMs: new Float64Array(runStarts.length),
      final: new Uint8Array(runStarts.length) });
    const [a, b] = [sums(), sums()];
    const o = { originMs, settledMs: settledAt, extendHead };
    sumRuns(slots, rows.length, 2, times, count, runStarts, a, { ...o, build: 'debug' });
    sumRunsReference(slots, rows.length, 2, times, count, runStarts, b, o);
    assert.deepEqual([...a.energyUj], [...b.energyUj]);
    assert.deepEqual([...a.final], [...b.final]);
    a.durationMs.forEach((d, r) => assert.ok(Math.abs(d - b.durationMs[r]!) <= 1e-9 * Math.max(1, Math.abs(d)), `run ${r}: ${d} vs ${b.durationMs[r]}`));
  }), { numRuns: 200 });
});

/**
 * A hybrid channel's ring columns over random ticks: true energy e, power-integrated p (off by a
 * random factor per tick, as a lagging power reading is), counter readings at random ticks.
 */
const hybridTrace = fc.record({
  ticks: fc.array(fc.record({ dtMs: fc.integer({ min: 1, max: 200 }), watts: fc.double({ min: 0, max: 700, noNaN: true }),
    powerError: fc.double({ min: 0.5, max: 1.5, noNaN: true }), read: fc.boolean() }), { minLength: 2, maxLength: 80 }),
  queries: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 40 }),
});

test('WASM reconcile equals the reference: exact at counter readings, monotone, provisional after the last', () => {
  fc.assert(fc.property(hybridTrace, ({ ticks, queries }) => {
    const k = 2; // another channel, then the hybrid one
    const stride = k + 1 + 3;
    const slots = new Float64Array(ticks.length * stride);
    let t = 0; let e = 0; let p = 0; let c = Number.NaN; let pa = Number.NaN; let ta = Number.NaN;
    const reads: { t: number; c: number }[] = [];
    ticks.forEach((x, i) => {
      if (i > 0) { t += x.dtMs; e += x.watts * x.dtMs * 1000; p += x.watts * x.powerError * x.dtMs * 1000; }
      if (x.read || i === 0) { c = e; pa = p; ta = t; reads.push({ t, c }); }
      slots.set([t, t * 3, p, c, pa, ta], i * stride);
    });
    const times = Float64Array.from(queries.map((f) => f * t).sort((a, b) => a - b));
    const withReads = Float64Array.from([...times, ...reads.map((r) => r.t)]);
    const hybrids = [{ ch: 1, c: k }];
    const got = new Float64Array(withReads.length * k);
    interpolate(slots, ticks.length, k, withReads, got, { build: 'debug', stride, hybrids });
    const want = new Float64Array(withReads.length * k);
    interpolateReference(Float64Array.from({ length: ticks.length * (k + 1) }, (_, j) => slots[Math.floor(j / (k + 1)) * stride + (j % (k + 1))]!),
      ticks.length, k, withReads, want);
    reconcileReference(slots, ticks.length, stride, k, 1, k, withReads, want);
    for (let j = 0; j < got.length; j++) assert.ok(Math.abs(got[j]! - want[j]!) <= 1e-6 * Math.max(1, Math.abs(want[j]!)), `value ${j}: ${got[j]} vs ${want[j]}`);
    // At each counter reading, the value is the counter's, exactly.
    reads.forEach((r, i) => {
      const v = got[(times.length + i) * k + 1]!;
      assert.ok(Math.abs(v - r.c) <= 1e-6 * Math.max(1, r.c), `reading ${i}: ${v} vs ${r.c}`);
    });
    for (let j = 1; j < times.length; j++) assert.ok(got[j * k + 1]! >= got[(j - 1) * k + 1]! - 1e-6, 'monotone in time');
  }), { numRuns: 300 });
});
