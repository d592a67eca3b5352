#!/usr/bin/env node
// After tsc: make the CLI executable and copy the plain-JS test fixtures next to their compiled imports.
import { chmodSync, cpSync } from 'node:fs';

chmodSync('dist/src/cli/main.js', 0o755);
cpSync('test/fixtures', 'dist/test/fixtures', { recursive: true, filter: (f) => !f.endsWith('.ts') });
