// allow_multiple_runs = false: a PID-checked lock, stale locks taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireLock, releaseLock } from '../src/lock.js';
import { tempDir } from './helpers/sysfs.js';

test('the lock: taken, refused while its holder runs, taken over once it is gone, released', async () => {
  const path = join(tempDir(), '.codecarbon.lock');
  const other = spawn('sleep', ['30']);
  try {
    writeFileSync(path, String(other.pid));
    assert.equal(acquireLock(path), other.pid);
    await new Promise((r) => { other.once('exit', r); other.kill(); });
    assert.equal(acquireLock(path), null); // stale: its process is gone
    assert.equal(readFileSync(path, 'utf8'), String(process.pid));
    assert.equal(acquireLock(path), null); // ours already
    releaseLock(path);
    assert.equal(existsSync(path), false);
  } finally {
    other.kill();
  }
});
