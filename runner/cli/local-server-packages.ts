/**
 * The packages only the local Snowflake-protocol server needs (local-server): its engine, its SQL
 * transpiler and the YAML parser of job-service specs. They are devDependencies, not dependencies:
 * together about 94 MB, and @polyglot-sql/sdk declares Node >= 22, so a project that installs the
 * construct library would download them and be warned (EBADENGINE on Node 20) for a tool it may
 * never run. A checkout has them (`npm install`); an installed package has them only when its user
 * installs them, and the commands that start the server (`local-server`, `deploy --local`, `demo`)
 * check first and say exactly what to install.
 *
 * This module must not import the emulator (nor anything that does): it runs before it is loaded.
 */
import { ownPackage } from '../own-package';
import { UsageError } from './args';

/** What local-server loads, in the order the message lists them. */
export const LOCAL_SERVER_PACKAGES = ['@duckdb/node-api', '@polyglot-sql/sdk', 'yaml'] as const;

/** The packages of LOCAL_SERVER_PACKAGES that `resolve` cannot find. */
export function missingLocalServerPackages(resolve: (id: string) => string = require.resolve): string[] {
  return LOCAL_SERVER_PACKAGES.filter((name) => {
    try {
      resolve(name);
      return false;
    } catch {
      return true;
    }
  });
}

/** The versions this package was built and tested with: its own package.json's devDependencies. */
export function testedVersions(): Record<string, string> {
  return { ...ownPackage().devDependencies };
}

/**
 * The message for `command` when `missing` packages are absent: what they are for and the one
 * command that installs them, at the versions the package was tested with.
 */
export function localServerInstallMessage(
  command: string,
  missing: readonly string[],
  versions: Record<string, string> = testedVersions(),
  nodeVersion = process.versions.node,
): string {
  const names = missing.length === 1 ? missing[0] : `${missing.slice(0, -1).join(', ')} and ${missing[missing.length - 1]}`;
  const specs = missing.map((name) => (versions[name] ? `${name}@${versions[name]}` : name));
  const lines = [
    `${command} needs ${names}, which cdktf-snowflake-many-model does not install: only the local Snowflake-protocol server uses them (its engine and SQL transpiler, about 94 MB). Install them in your project:`,
    `  npm install --save-dev ${specs.join(' ')}`,
  ];
  if (missing.includes('@polyglot-sql/sdk') && Number(nodeVersion.split('.')[0]) < 22) {
    lines.push(
      `@polyglot-sql/sdk declares Node >= 22, so npm warns EBADENGINE on Node ${nodeVersion}; the local server runs on Node 20 all the same (this package's tests do).`,
    );
  }
  return lines.join('\n');
}

/**
 * Returns when the local server can be loaded; otherwise throws the UsageError naming what to
 * install (exit 2, a configuration error), before anything of the server is loaded.
 */
export function requireLocalServerPackages(command: string, resolve?: (id: string) => string): void {
  const missing = missingLocalServerPackages(resolve);
  if (missing.length > 0) throw new UsageError(localServerInstallMessage(command, missing));
}
