#!/usr/bin/env node
const path = require('path');

// snowflake-sdk's AWS dependency warns about the Node version on every start; that is not the
// CLI's to act on and would drown its own stderr (the SDK's documented switch turns it off).
if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === undefined) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}
// snowflake-sdk probes cloud metadata endpoints when it loads; this CLI never needs that.
if (process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION === undefined) {
  process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = 'true';
}
// Output piped into a reader that stops early (`many-model --help | head`) is not an error of ours.
process.stdout.on('error', (err) => {
  if (err && err.code === 'EPIPE') process.exit(process.exitCode || 0);
  throw err;
});
const fs = require('fs');
// A checkout (TypeScript sources present) runs the sources through tsx, so a stale dist/ never
// shadows them; the published package ships only dist/ and runs that.
const sources = path.join(__dirname, '..', 'runner', 'cli', 'main.ts');
let mod;
if (fs.existsSync(sources)) {
  require('tsx/cjs');
  mod = require(sources);
} else {
  mod = require(path.join(__dirname, '..', 'dist', 'runner', 'cli', 'main.js'));
}
mod.main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`many-model: ${err?.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
