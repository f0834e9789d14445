/**
 * The package's `engines` field is true: every package a user's install brings (the runtime
 * dependencies, the engine and bindings it peers on, and all they depend on, at the versions
 * package-lock.json pins) runs on every Node version the field admits. Read from the lock, so it
 * checks the pinned tree, not whatever is in node_modules today.
 */
import * as fs from 'fs';
import * as path from 'path';

// semver is a devDependency for this check (it is also in the runtime tree, under jsonwebtoken);
// its subset() says whether every version one range admits is admitted by another.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const semver = require('semver') as { subset(sub: string, sup: string): boolean; minVersion(range: string): { version: string } | null };

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<
    string,
    {
      version?: string;
      engines?: { node?: string } | string[];
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    }
  >;
};

/** Where Node finds `name` from the package at `from` (a lock key), as the lock lays it out. */
function locate(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
    const key = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (lock.packages[key]) return key;
    if (dir === '') return undefined;
  }
}

/** Every package a user's install of this package brings, by lock key. */
function runtimeTree(): Set<string> {
  const seen = new Set<string>();
  const visit = (key: string): void => {
    if (seen.has(key)) return;
    seen.add(key);
    const p = lock.packages[key];
    const required = Object.keys(p.peerDependencies ?? {}).filter((n) => !p.peerDependenciesMeta?.[n]?.optional);
    for (const name of [...Object.keys(p.dependencies ?? {}), ...Object.keys(p.optionalDependencies ?? {}), ...required]) {
      const found = locate(name, key);
      if (found) visit(found);
    }
  };
  // The engine and bindings this checkout installs (its devDependencies pin the peers) come too.
  for (const name of [...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]) {
    const found = locate(name, '');
    if (found) visit(found);
  }
  return seen;
}

describe('the engines field', () => {
  test('admits only Node versions that every package of a user install admits', () => {
    const ours: string = pkg.engines.node;
    const tree = runtimeTree();
    expect(tree.size).toBeGreaterThan(100);
    const narrower = [...tree]
      .map((key) => ({ key, node: (lock.packages[key].engines as { node?: string } | undefined)?.node }))
      .filter((p): p is { key: string; node: string } => typeof p.node === 'string' && !semver.subset(ours, p.node))
      .map((p) => `${p.key.replace(/^.*node_modules\//, '')}@${lock.packages[p.key].version} needs node ${p.node}`);
    expect(narrower).toEqual([]);
  });

  test('starts where the strictest of them starts: @cdktf/provider-snowflake 15.9.x needs Node 20.9', () => {
    expect(pkg.engines.node).toBe('>=20.9.0');
    expect((lock.packages['node_modules/@cdktf/provider-snowflake'].engines as { node: string }).node).toBe('>= 20.9.0');
    expect(semver.minVersion(pkg.engines.node)?.version).toBe('20.9.0');
  });

  test('the Node running the tests is one it admits', () => {
    expect(semver.subset(process.versions.node, pkg.engines.node)).toBe(true);
  });
});
