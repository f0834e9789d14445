// Copies the non-TypeScript files the compiled library reads at run time (Python templates)
// next to the compiled modules in dist/.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const dirs = ['lib/registry/python'];
for (const dir of dirs) {
  const from = path.join(root, dir);
  const to = path.join(root, 'dist', dir);
  fs.mkdirSync(to, { recursive: true });
  for (const f of fs.readdirSync(from)) {
    if (f.endsWith('.py') || f.endsWith('.tmpl')) fs.copyFileSync(path.join(from, f), path.join(to, f));
  }
}
