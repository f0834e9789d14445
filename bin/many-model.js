#!/usr/bin/env node
// Runs the compiled CLI when the package is built (published), else the TypeScript sources
// through tsx (a fresh clone with dev dependencies).
const path = require('path');
const fs = require('fs');
const built = path.join(__dirname, '..', 'dist', 'lib', 'cli', 'main.js');
let mod;
if (fs.existsSync(built)) {
  mod = require(built);
} else {
  require('tsx/cjs');
  mod = require(path.join(__dirname, '..', 'lib', 'cli', 'main.ts'));
}
mod.main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`many-model: ${err && err.message ? err.message : String(err)}\n`); process.exitCode = 1; },
);
