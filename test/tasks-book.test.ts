// The task book: open tasks by name or last-opened, nested and overlapping, typed-array storage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskBook } from '../src/tasks.js';

/** The finished tasks, read back through the book's accessors. */
const spans = (b: TaskBook) => Array.from({ length: b.doneCount }, (_, i) => ({ name: b.nameOf(i), startMs: b.startOf(i), endMs: b.endOf(i) }));

test('nested, overlapping and unnamed tasks close the right one', () => {
  const b = new TaskBook();
  b.start('outer');
  b.start('inner');
  const u = b.start();
  assert.equal(b.stop(), true); // the last opened: the unnamed one
  b.start('overlap');
  assert.equal(b.stop('inner'), true);
  assert.equal(b.stop('outer'), true);
  assert.equal(b.stop('overlap'), true);
  assert.equal(b.stop('outer'), false);
  assert.equal(b.stop(), false);
  assert.deepEqual(spans(b).map((s) => s.name), [u, 'inner', 'outer', 'overlap']);
  for (const s of spans(b)) assert.ok(s.endMs >= s.startMs);
});

test('a million pairs: spans kept in order, storage grows, takeAfter keeps the first ones', () => {
  const b = new TaskBook();
  for (let i = 0; i < 1_000_000; i++) { b.start(i % 2 ? 'odd' : 'even'); b.stop(i % 2 ? 'odd' : 'even'); }
  assert.equal(b.doneCount, 1_000_000);
  const taken = b.takeAfter(10, Infinity);
  assert.equal(taken.count, 999_990);
  assert.deepEqual(taken.names.slice(0, 2), ['even', 'odd']);
  assert.equal(b.doneCount, 10);
  assert.deepEqual(spans(b).map((s) => s.name).slice(0, 3), ['even', 'odd', 'even']);
});

test('takeAfter leaves tasks that ended after the given time', () => {
  const b = new TaskBook();
  for (let i = 0; i < 5; i++) { b.start('t'); b.stop('t'); }
  const cut = spans(b)[2]!.endMs;
  const taken = b.takeAfter(1, cut);
  assert.equal(taken.count, 2);
  assert.ok(taken.times[3]! <= cut && taken.times[1]! >= taken.times[0]!);
  assert.equal(b.doneCount, 3);
});
