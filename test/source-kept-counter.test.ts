// KeptFile.counter(): a counter parsed in place reads as parseCounter reads its text, whatever the file holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseCounter } from '../src/sources/rapl.js';
import { KeptFile } from '../src/sources/source.js';
import { tempDir } from './helpers/sysfs.js';

// A failing property's own error in the report (fast-check 4 otherwise keeps it in `cause`, which the test reporter does not print).
fc.configureGlobal({ ...fc.readConfigureGlobal(), includeErrorInReport: true });

/** What the sampler makes of a counter file through counter(): a value, or parseCounter's reason. */
function viaCounter(file: KeptFile): bigint | string {
  const got = file.counter();
  return typeof got === 'number' ? BigInt(got) : parseCounter(got);
}

test('counter() agrees with parseCounter(text()) on digits, padding, junk and values past 2^53 and 2^64', () => {
  const dir = tempDir();
  const path = join(dir, 'energy_uj');
  writeFileSync(path, '0\n');
  const file = new KeptFile(path, 32);
  const digits = fc.stringMatching(/^[0-9]{1,24}$/);
  const text = fc.oneof(
    digits.map((d) => `${d}\n`),
    fc.tuple(fc.constantFrom('', ' ', '\t', '\xa0', '0'), digits, fc.constantFrom('', '\n', ' \n', '\r\n', '\v', 'x', '-1')).map((p) => p.join('')),
    fc.constantFrom('', '\n', '18446744073709551615\n', '18446744073709551616\n', '999999999999999\n', '1000000000000000\n', '-5\n'),
    fc.string({ maxLength: 30 }),
  );
  fc.assert(fc.property(text, (t) => {
    writeFileSync(path, t, 'latin1');
    assert.deepEqual(viaCounter(file), parseCounter(file.text()));
  }), { numRuns: 2000 });
  file.close();
});
