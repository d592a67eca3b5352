// The licence package.json names is in the repository (npm publishes LICENSE whatever "files" says).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const root = fileURLToPath(new URL('../../', import.meta.url));

// npm always packs LICENSE, whatever "files" says: the repository having it is what can go wrong.
test('LICENSE holds the MIT text package.json declares', () => {
  const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { license: string };
  assert.equal(pkg.license, 'MIT');
  const text = readFileSync(`${root}LICENSE`, 'utf8');
  assert.ok(text.startsWith('MIT License\n\nCopyright (c) 2026 codecarbon for Node.js contributors\n\nPermission is hereby granted, free of charge,'));
  assert.ok(text.trimEnd().endsWith('OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE\nSOFTWARE.'));
});
