/**
 * The project's local Snowflake-protocol server (a test double of Snowflake for tests and the
 * offline demo). `startLocalServer()` listens on 127.0.0.1; point snowflake-sdk at it with
 * `server.connectionOptions()`. See docs/local-server.md.
 */
import { LocalServerOptions, LocalSnowflakeServer } from './server';

export { LocalSnowflakeServer } from './server';
export type { LocalServerOptions, LocalUser } from './server';
export type { StatementFault, HttpFault, DelayFault, DropFault, StageListingFault } from './faults';
export type { ImageCommand, ProcedureHandler, ProcedureContext, PredictHandler, ModelEntry, ModelVersion } from './objects';
export type { OnlineMethodHandler } from './model-serving';
export { ModelCatalog } from './objects';

export function startLocalServer(opts: LocalServerOptions = {}): Promise<LocalSnowflakeServer> {
  return LocalSnowflakeServer.start(opts);
}
