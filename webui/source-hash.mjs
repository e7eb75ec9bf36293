// Prints the SHA-256 of the UI's sources (every file under src/ and public/, plus index.html, vite.config.js,
// package.json, package-lock.json): each as "path\n" + bytes + "\n", in ordinal path order. build.sh stores it next to
// the bundle; a .NET test recomputes it (without npm) to check the committed bundle was rebuilt after a source change.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('.', import.meta.url).pathname;
const files = ['index.html', 'vite.config.js', 'package.json', 'package-lock.json'];
const walk = (dir) => {
  for (const name of readdirSync(join(root, dir))) {
    const rel = dir + '/' + name;
    if (statSync(join(root, rel)).isDirectory()) walk(rel); else files.push(rel);
  }
};
walk('src');
walk('public');
files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const hash = createHash('sha256');
for (const f of files) {
  hash.update(f + '\n');
  hash.update(readFileSync(join(root, f)));
  hash.update('\n');
}
process.stdout.write(hash.digest('hex') + '\n');
