#!/usr/bin/env node
// The V8 code cache of the sampler thread's bundle (dist/src/sampler/worker.bundle.cjs.cache), made
// as a real start compiles it: a sampler started over four fake RAPL zones in a temp dir writes it
// once its start is posted (internals.codeCache), then stops. Run by scripts/postbuild.mjs after the
// bundle is made. Exits non-zero, leaving no cache, when the start fails (threads then compile the
// bundle from source: slower to start, nothing else).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Sampler } from '../dist/src/sampler/sampler.js';

const out = fileURLToPath(new URL('../dist/src/sampler/worker.bundle.cjs.cache', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'cc-code-cache-'));
try {
  // Two packages with their DRAM zones, as /sys/class/powercap lists them on a two-socket server.
  for (let p = 0; p < 2; p++) {
    for (const [sub, name] of [[`intel-rapl:${p}`, `package-${p}`], [`intel-rapl:${p}:0`, 'dram']]) {
      const dir = join(root, sub);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'name'), `${name}\n`);
      writeFileSync(join(dir, 'energy_uj'), `${1000 + 7777 * p + name.length}\n`);
      writeFileSync(join(dir, 'max_energy_range_uj'), '262143328850\n');
    }
  }
  const sampler = new Sampler({ raplDir: root }, { codeCache: out });
  const warnings = [];
  sampler.addEventListener('warning', (e) => warnings.push(e.message));
  await sampler.start();
  await sampler.sampleNow();
  await sampler.stop();
  const failed = warnings.find((w) => w.includes('code cache'));
  if (failed !== undefined) throw new Error(failed);
} finally {
  rmSync(root, { recursive: true, force: true });
}
