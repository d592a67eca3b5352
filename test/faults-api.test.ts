// The code API given the wrong kind of thing: an error naming the argument, what it must be and the
// fix, where a raw TypeError from deep inside ("Cannot convert undefined or null to object") was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bench } from 'tinybench';
import { attachEnergy } from '../src/bench/index.js';
import { trackEmissions } from '../src/decorator.js';
import { intensityFor } from '../src/emissions/intensity.js';
import { OfflineEmissionsTracker } from '../src/offline.js';
import { EmissionsTracker } from '../src/tracker.js';

test('tracker options that are not an object, and offline: true given to EmissionsTracker', () => {
  for (const [bad, shown] of [[null, 'null'], ['hello', '"hello"'], [[1], '[1]']] as const) {
    assert.throws(() => new OfflineEmissionsTracker(bad as never, { env: {} }), { name: 'ConfigError',
      message: `options (from argument): expected an object of options (e.g. { projectName: 'x' }) or nothing, got ${shown}` });
  }
  assert.throws(() => new EmissionsTracker({ offline: true } as never, { env: {} }), { name: 'ConfigError',
    message: /^offline \(from argument\): unknown option; did you mean ".*"\?; for a tracker that never goes online use OfflineEmissionsTracker/ });
  assert.throws(() => intensityFor({ countryIsoCode: 42 as never }), { name: 'ConfigError',
    message: 'country_iso_code (from argument): expected an ISO-3 or ISO-2 code or a country name as a string (e.g. "FRA"), got 42' });
});

test('trackEmissions: a first argument that is neither a function nor options; a tracker that is not one; options beside a tracker', () => {
  assert.throws(() => trackEmissions(42 as never), { name: 'TypeError',
    message: 'trackEmissions(fn, options) wraps a function, and @trackEmissions(options) takes an object of options; got number as the first argument' });
  assert.throws(() => trackEmissions(() => 1, { tracker: {} as never }), { name: 'TypeError',
    message: 'trackEmissions(fn, { tracker }): tracker must be an EmissionsTracker (or OfflineEmissionsTracker), got object' });
  const tracker = new OfflineEmissionsTracker({ countryIsoCode: 'FRA', saveToFile: false }, { env: {} });
  assert.throws(() => trackEmissions(() => 1, { tracker, projectName: 'x' }), { name: 'TypeError',
    message: /^trackEmissions\(fn, \{ tracker, projectName \}\): with tracker, each call is a task of that tracker, whose own options apply/ });
  assert.equal(typeof trackEmissions(() => 1, { tracker, taskName: 'step' }), 'function');
});

test('attachEnergy: something that is not a tinybench Bench, and a minPeriods that is no count', async () => {
  for (const bad of [null, {}, 'bench']) {
    await assert.rejects(attachEnergy(bad as never), { name: 'TypeError', message: /^attachEnergy\(bench\): bench must be a tinybench Bench/ });
  }
  for (const minPeriods of [-1, Number.NaN, 1.5]) {
    await assert.rejects(attachEnergy(new Bench(), { minPeriods }), { name: 'ConfigError', message: `minPeriods (from argument): expected an integer >= 1, got ${minPeriods}` });
  }
});
