// A warning is printed once: on stderr when nobody listens, or only to the 'warning' listeners.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { fakeTracker } from './helpers/tracker.js';

/** What console.warn prints while `fn` runs. */
function printed(fn: () => void): string[] {
  const lines: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => { lines.push(args.join(' ')); };
  try {
    fn();
  } finally {
    console.warn = original;
  }
  return lines;
}

const warning = 'stopTask("nope"): no such task is open';

test('the README\'s listener (console.warn(e.message)) prints each warning once; the tracker does not print it too', () => {
  const { tracker, rapl, dir } = fakeTracker({ logLevel: 'warning' });
  try {
    const listener = (e: Event): void => console.warn((e as Event & { message: string }).message);
    tracker.addEventListener('warning', listener);
    assert.deepEqual(printed(() => tracker.stopTask('nope')), [warning]);
    tracker.removeEventListener('warning', listener);
    assert.deepEqual(printed(() => tracker.stopTask('nope')), [`[codecarbon WARNING] ${warning}`]);
  } finally {
    rapl.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a listener that keeps the warnings prints nothing; without one, log_level decides', () => {
  const { tracker, rapl, dir } = fakeTracker({ logLevel: 'warning', loggerPreamble: 'etl:' });
  const quiet = fakeTracker({ logLevel: 'error' });
  try {
    const kept: string[] = [];
    tracker.addEventListener('warning', (e) => kept.push((e as Event & { message: string }).message), { once: true });
    assert.deepEqual(printed(() => tracker.stopTask('nope')), []);
    assert.deepEqual(kept, [warning]);
    // The once listener is gone: the next warning goes to stderr, with the preamble.
    assert.deepEqual(printed(() => tracker.stopTask('nope')), [`[codecarbon WARNING] etl:${warning}`]);
    assert.deepEqual(printed(() => quiet.tracker.stopTask('nope')), []);
  } finally {
    for (const x of [{ rapl, dir }, quiet]) {
      x.rapl.cleanup();
      rmSync(x.dir, { recursive: true, force: true });
    }
  }
});
