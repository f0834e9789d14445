/**
 * This package's own package.json, found upwards from this module: `lib/` in a checkout,
 * `dist/lib/` in the published package (which has no package.json of its own under dist/).
 */
import * as fs from 'fs';
import * as path from 'path';

export interface OwnPackage {
  readonly version: string;
  readonly devDependencies: Readonly<Record<string, string>>;
}

export function ownPackage(): OwnPackage {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string; devDependencies?: Record<string, string> };
      if (pkg.name === 'cdktf-snowflake-many-model') return { version: pkg.version ?? 'unknown', devDependencies: pkg.devDependencies ?? {} };
    }
    if (path.dirname(dir) === dir) return { version: 'unknown', devDependencies: {} };
  }
}
