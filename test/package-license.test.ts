// The licence package.json names is in the repository and in what npm publishes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

test('LICENSE holds the MIT text package.json declares, and npm packs it', async () => {
  const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { license: string };
  assert.equal(pkg.license, 'MIT');
  const text = readFileSync(`${root}LICENSE`, 'utf8');
  assert.ok(text.startsWith('MIT License\n\nCopyright (c) 2026 codecarbon for Node.js contributors\n\nPermission is hereby granted, free of charge,'));
  assert.ok(text.trimEnd().endsWith('OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE\nSOFTWARE.'));
  // --ignore-scripts: listing the files must not rebuild dist/ under the running tests.
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, timeout: 60_000 });
  const [packed] = JSON.parse(stdout) as [{ files: { path: string }[] }];
  assert.ok(packed.files.some((f) => f.path === 'LICENSE'), 'LICENSE is in the package');
});
