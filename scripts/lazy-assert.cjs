// node:assert as piscina's main-thread bundle sees it (scripts/postbuild.mjs aliases it here).
// node:assert is not in Node's start-up snapshot: requiring it costs a first start() 3 ms on a
// slow VM, for the two checks piscina makes (assert(x) and assert.notStrictEqual(a, b)). Both are
// made here, and the real module is loaded only to throw its own AssertionError when one fails;
// every other member is the real module's, loaded on first use.
'use strict';

function real() {
  return require('node:assert');
}

function assert(value, message) {
  if (!value) real().ok(value, message);
}
assert.ok = assert;
assert.notStrictEqual = function notStrictEqual(actual, expected, message) {
  if (Object.is(actual, expected)) real().notStrictEqual(actual, expected, message);
};
for (const name of ['fail', 'AssertionError', 'equal', 'notEqual', 'deepEqual', 'notDeepEqual', 'deepStrictEqual',
  'notDeepStrictEqual', 'strictEqual', 'throws', 'rejects', 'doesNotThrow', 'doesNotReject', 'ifError', 'match',
  'doesNotMatch', 'CallTracker', 'strict']) {
  Object.defineProperty(assert, name, { get: () => real()[name], enumerable: true });
}

module.exports = assert;
