// The shared ring: index wraparound, overwritten slots detected, no torn read ever accepted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { kPublished, kServed, RingReader, RingWriter } from '../src/sampler/ring.js';

test('past its capacity the ring keeps the newest samples and refuses overwritten ones', () => {
  const ring = new RingWriter({ capacity: 4, channels: 2, anchors: 1 });
  for (let i = 0; i < 10; i++) ring.publish(i * 10, [i, i * 2]);
  assert.equal(ring.published(), 10);
  assert.equal(ring.oldest(), 7);
  const out = new Float64Array(3);
  assert.equal(ring.read(2, out), false);
  assert.equal(ring.read(9, out), true);
  assert.deepEqual([...out], [90, 9, 18]);
  assert.ok(Number.isNaN(ring.timeOf(5)));
  assert.equal(ring.floorIndex(75, ring.oldest(), 9), 7);
});

test('a reader racing a writer thread never accepts a torn or overwritten slot', async () => {
  const shape = { capacity: 8, channels: 6, anchors: 1 };
  const writerSide = new RingWriter(shape);
  const reader = new RingReader(writerSide.buffer, shape);
  const worker = new Worker(new URL('./fixtures/ring-writer.worker.js', import.meta.url), { workerData: { buffer: writerSide.buffer, shape } });
  // Sequenced on the writer's own counter: start once it has lapped the ring a few times.
  while (reader.published() < shape.capacity * 4) {
    const r = Atomics.waitAsync(reader.control, kPublished, reader.published(), 1000);
    if (r.async) await r.value;
  }
  const out = new Float64Array(shape.channels + 1);
  let accepted = 0;
  for (let n = 0; n < 200_000; n++) {
    const index = Math.max(0, reader.published() - 1 - (n % shape.capacity));
    if (!reader.read(index, out)) continue;
    accepted++;
    assert.equal(out[0], index);
    for (let c = 0; c < shape.channels; c++) assert.equal(out[1 + c], index * (c + 1));
  }
  reader.wake(true);
  await worker.terminate();
  assert.ok(accepted > 0);
  assert.ok(reader.published() > shape.capacity * 100, `writer lapped the ring ${reader.published() / shape.capacity} times`);
});

test('a wake seen served is a sample published: a reader racing the writer never sees one without the other', async () => {
  const shape = { capacity: 8, channels: 2, anchors: 1 };
  const writerSide = new RingWriter(shape);
  const reader = new RingReader(writerSide.buffer, shape);
  const worker = new Worker(new URL('./fixtures/ring-writer.worker.js', import.meta.url),
    { workerData: { buffer: writerSide.buffer, shape, served: true } });
  while (reader.published() < shape.capacity) {
    const r = Atomics.waitAsync(reader.control, kPublished, reader.published(), 1000);
    if (r.async) await r.value;
  }
  // Sample i serves wake i + 1: once wake w reads as served, at least w samples are published.
  // (Served stored before the publish, as it once was, fails here within a few thousand reads.)
  let checked = 0;
  try {
    for (let n = 0; n < 2_000_000; n++) {
      const w = Atomics.load(reader.control, kServed);
      if (!reader.hasServed(w)) continue;
      const published = reader.published();
      assert.ok(published >= w, `wake ${w} served with ${published} samples published`);
      checked++;
    }
  } finally {
    reader.wake(true);
    await worker.terminate();
  }
  assert.ok(checked > 0);
  assert.ok(reader.published() > shape.capacity * 100, `writer lapped the ring ${reader.published() / shape.capacity} times`);
});

test('an anchor released and asked again while the sampler settles it keeps the new request\'s values, not the old one\'s', () => {
  const ring = new RingWriter({ capacity: 4, channels: 1, anchors: 1 });
  for (const t of [0, 10, 20]) ring.publish(t, [t * 100]);
  const valuesAt = (tMs: number, out: Float64Array): void => { out[0] = tMs * 100; };
  const out = new Float64Array(2);
  // The sampler has read the first request (at 5 ms) and computes its values when the reading
  // thread, done with that run, releases the slot and asks it again for another mark (at 15 ms).
  const first = ring.requestAnchor(0, 5);
  let second = -1;
  ring.settleAnchors(20, (tMs, o) => {
    valuesAt(tMs, o);
    ring.releaseAnchor(0);
    second = ring.requestAnchor(0, 15);
  });
  assert.notEqual(second, first);
  assert.equal(ring.readAnchor(0, second, out), false, 'the values at 5 ms do not pass for the request at 15 ms');
  assert.equal(ring.readAnchor(0, first, out), false, 'a released request reads nothing');
  ring.settleAnchors(20, valuesAt);
  assert.equal(ring.readAnchor(0, second, out), true);
  assert.deepEqual([...out], [15, 1500]);
  // A request past the newest sample waits for a sample at or after it.
  ring.releaseAnchor(0);
  const third = ring.requestAnchor(0, 25);
  ring.settleAnchors(20, valuesAt);
  assert.equal(ring.readAnchor(0, third, out), false);
  ring.settleAnchors(30, valuesAt);
  assert.equal(ring.readAnchor(0, third, out), true);
  assert.deepEqual([...out], [25, 2500]);
});
