// The package as users load it: require()-able, named exports, nothing touched at import time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('require("codecarbon") works and starts no thread, opens no file', async () => {
  const script = `
    const before = require('fs').readdirSync('/proc/self/task').length;
    const m = require('codecarbon');
    const after = require('fs').readdirSync('/proc/self/task').length;
    console.log(JSON.stringify({ keys: Object.keys(m).sort(), threads: after - before }));`;
  const { stdout, stderr } = await run(process.execPath, ['-e', script]);
  const out = JSON.parse(stdout) as { keys: string[]; threads: number };
  assert.deepEqual(out.keys, ['ApiOutput', 'CodeCarbonError', 'ConfigError', 'EmissionsTracker', 'LoggerOutput', 'MeasurementEvent',
    'OfflineEmissionsTracker', 'OutputError', 'Sampler', 'SamplerError', 'SamplerErrorEvent', 'SamplerWarningEvent', 'SourcePermissionError',
    'SourceUnavailableError', 'TrackerWarningEvent', 'WebhookOutput', 'columns', 'deltaRecord', 'detectCloud', 'detectHardware',
    'equivalentConstants', 'equivalents', 'equivalentsOfEnergy', 'intensityFor', 'resolveEngineOptions', 'supportedMethods',
    'taskColumns', 'trackEmissions', 'upstreamColumns', 'upstreamMethods']);
  assert.equal(out.threads, 0);
  assert.doesNotMatch(stderr, /Error/);
});
