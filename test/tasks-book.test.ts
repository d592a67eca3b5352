// The task book: open tasks by name or last-opened, nested and overlapping, typed-array storage.
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import assert from 'node:assert/strict';
import { setClock } from '../src/clock.js';
import { TaskBook } from '../src/tasks.js';
import { takeCopy } from './helpers/tasks.js';

/** The finished tasks, read back through the book's accessors. */
const spans = (b: TaskBook) => Array.from({ length: b.doneCount }, (_, i) => ({ name: b.nameOf(i), startMs: b.startOf(i), endMs: b.endOf(i) }));

test('nested, overlapping and unnamed tasks close the right one', () => {
  const b = new TaskBook();
  b.start('outer');
  b.start('inner');
  const u = b.start();
  assert.equal(b.stop(), 0); // the last opened: the unnamed one; ids in the order tasks end
  b.start('overlap');
  assert.equal(b.stop('inner'), 1);
  assert.equal(b.stop('outer'), 2);
  assert.equal(b.stop('overlap'), 3);
  assert.equal(b.stop('outer'), -1);
  assert.equal(b.stop(), -1);
  assert.deepEqual(spans(b).map((s) => s.name), [u, 'inner', 'outer', 'overlap']);
  for (const s of spans(b)) assert.ok(s.endMs >= s.startMs);
});

test('a million pairs: spans kept in order, storage grows, takeAfter keeps the first ones', () => {
  const b = new TaskBook();
  for (let i = 0; i < 1_000_000; i++) { b.start(i % 2 ? 'odd' : 'even'); b.stop(i % 2 ? 'odd' : 'even'); }
  assert.equal(b.doneCount, 1_000_000);
  const taken = takeCopy(b, 10, Infinity);
  assert.equal(taken.count, 999_990);
  assert.deepEqual(taken.runs.names.slice(0, 2), ['even', 'odd']);
  assert.deepEqual([...taken.runs.starts.slice(0, 3)], [0, 1, 2]);
  assert.equal(b.doneCount, 10);
  assert.deepEqual(spans(b).map((s) => s.name).slice(0, 3), ['even', 'odd', 'even']);
});

test('takeAfter leaves tasks that ended after the given time', () => {
  const b = new TaskBook();
  for (let i = 0; i < 5; i++) { b.start('t'); b.stop('t'); }
  const cut = spans(b)[2]!.endMs;
  const taken = takeCopy(b, 1, cut);
  assert.equal(taken.count, 2);
  assert.ok(taken.times[3]! <= cut && taken.times[1]! >= taken.times[0]!);
  assert.equal(b.doneCount, 3);
});

test('ids survive folding: kept tasks keep theirs, folded ones have none, later ones map past the fold', () => {
  const b = new TaskBook();
  const ids: number[] = [];
  for (let i = 0; i < 10; i++) { b.start(`t${i}`); ids.push(b.stop(`t${i}`)); }
  assert.deepEqual(ids, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const cut = b.endOf(5);
  assert.equal(takeCopy(b, 3, cut).count, 3); // ids 3, 4, 5 folded
  b.start('late');
  assert.equal(b.stop('late'), 10);
  assert.deepEqual([0, 2, 3, 5, 6, 9, 10, 11, -1, 1.5].map((id) => b.indexOf(id)), [0, 2, -1, -1, 3, 6, 7, -1, -1, -1]);
  assert.equal(b.nameOf(b.indexOf(6)), 't6');
  assert.equal(b.nameOf(b.indexOf(10)), 'late');
});

test('closeOpen ends every open task at the stop mark, labelled; a later fold keeps the label on the right tasks', () => {
  const b = new TaskBook();
  for (let i = 0; i < 4; i++) { b.start(`d${i}`); b.stop(`d${i}`); }
  b.start('a');
  b.start('b');
  b.closeOpen(1e9);
  assert.deepEqual(b.openNames(), []);
  assert.deepEqual(spans(b).slice(4).map((s) => [s.name, s.endMs]), [['a', 1e9], ['b', 1e9]]);
  assert.deepEqual(spans(b).map((_, i) => b.closedByStop(i)), [false, false, false, false, true, true]);
  takeCopy(b, 2, b.endOf(3)); // folds d2, d3
  assert.deepEqual(spans(b).map((s, i) => [s.name, b.closedByStop(i)]), [['d0', false], ['d1', false], ['a', true], ['b', true]]);
});

test('next(): one clock read per call; each task ends at the very mark the next begins; other open tasks untouched', (t) => {
  let reads = 0;
  let ms = 1000;
  setClock(() => { reads++; return ms; });
  t.after(() => setClock(null));
  const b = new TaskBook();
  assert.equal(b.next('step'), -1); // none open: it only opens one
  const ids: number[] = [];
  for (let i = 1; i <= 5; i++) {
    ms += i;
    ids.push(b.next('step'));
  }
  assert.equal(reads, 6, 'one clock read per next()');
  assert.deepEqual(ids, [0, 1, 2, 3, 4]);
  assert.deepEqual(spans(b).map((s) => [s.startMs, s.endMs]), [[1000, 1001], [1001, 1003], [1003, 1006], [1006, 1010], [1010, 1015]]);
  // With another task open (the Map's case): next() ends and opens its own name only.
  b.start('outer');
  ms += 10;
  assert.equal(b.next('step'), 5);
  ms += 10;
  assert.equal(b.stop('outer'), 6);
  assert.equal(b.next('inner'), -1);
  ms += 5;
  assert.equal(b.stop('step'), 7);
  assert.equal(b.stop(), 8, 'stop() without a name ends the last opened, the one next() opened');
  assert.deepEqual(spans(b).slice(5), [
    { name: 'step', startMs: 1015, endMs: 1025 },
    { name: 'outer', startMs: 1015, endMs: 1035 },
    { name: 'step', startMs: 1025, endMs: 1040 },
    { name: 'inner', startMs: 1035, endMs: 1040 },
  ]);
  assert.deepEqual(b.openNames(), []);
});

test('stop() without a name ends the last task started, named or not; a loop of named pairs after that keeps no order', () => {
  const b = new TaskBook();
  b.start('a');
  b.start('b');
  assert.equal(b.stop(), 0);
  assert.equal(b.nameOf(0), 'b');
  assert.equal(b.stop(), 1);
  assert.equal(b.nameOf(1), 'a');
  const u = b.start();
  assert.equal(b.stop(), 2);
  assert.equal(b.nameOf(2), u);
  // Tasks closed by name, none open after them: their order is history, and 2 million named pairs
  // then add nothing to the heap (marks are in a typed array's store, outside it; a name kept per pair would be 16 MB).
  b.start('p');
  b.start('q');
  b.stop('p');
  b.stop('q');
  b.stop(b.start());
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 2_000_000; i++) { b.start('x'); b.stop('x'); }
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  assert.ok(grown < 4 * 2 ** 20, `heap grew ${(grown / 2 ** 20).toFixed(1)} MiB`);
  assert.equal(b.doneCount, 2_000_006);
});

test('a loop of tasks inside an open one (epoch, then batches), by pairs or by next(): the heap stays flat; closed out of order, the right one still closes', () => {
  const b = new TaskBook();
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  b.start('epoch');
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 1_000_000; i++) { b.start('batch'); b.stop('batch'); }
  for (let i = 0; i < 1_000_000; i++) b.next('step');
  b.stop('step');
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  assert.ok(grown < 4 * 2 ** 20, `heap grew ${(grown / 2 ** 20).toFixed(1)} MiB`);
  // Closed out of order: A and B alternate, each closed while the other is open (the names of
  // tasks ending alternate, a run each: only the order of open tasks is looked at here).
  b.start('A');
  for (let i = 0; i < 10_000; i++) { b.start('B'); b.stop('A'); b.start('A'); b.stop('B'); }
  assert.deepEqual(b.openNames().sort(), ['A', 'epoch']);
  assert.equal(b.nameOf(b.stop()), 'A');
  // The order is still right: the unnamed stop closes the newest open task, then the epoch.
  b.start('inner');
  assert.equal(b.nameOf(b.stop()), 'inner');
  assert.equal(b.nameOf(b.stop()), 'epoch');
  assert.equal(b.stop(), -1);
});

test('an unnamed task never takes the name of one a user opened: task_<n> skips it', () => {
  const b = new TaskBook();
  assert.equal(b.start('task_1'), 'task_1');
  assert.equal(b.start(), 'task_2');
  assert.equal(b.nameOf(b.stop()), 'task_2');
  assert.equal(b.nameOf(b.stop('task_1')), 'task_1');
});
