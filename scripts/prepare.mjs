#!/usr/bin/env node
// npm's prepare (npm install, npm ci, and npx in a clone): the build, unless this folder's build is
// newer than everything it is made from. `npx codecarbon` in a clone links the clone into npx's
// cache, and npm runs prepare again for that link: without this, a second full build (14 s) before
// the first command. `npm run build` always builds.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const stamp = 'dist/.build-stamp';
const inputs = ['src', 'assembly', 'scripts', 'test', 'bench', 'data', 'package.json', 'package-lock.json', 'tsconfig.json', 'asconfig.json'];

/** The latest modification time under `path` (a file, or a folder walked whole). */
function newest(path) {
  const s = statSync(path, { throwIfNoEntry: false });
  if (s === undefined) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(path).reduce((m, name) => Math.max(m, newest(join(path, name))), s.mtimeMs);
}

const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
const source = Math.max(...inputs.map(newest));
if (built > source && existsSync('build/release.wasm')) {
  console.log('prepare: the build in dist/ is newer than its sources; not built again (npm run build rebuilds)');
} else {
  execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
}
