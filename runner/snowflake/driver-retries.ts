/**
 * Makes SnowflakeSession (session.ts) the one layer that decides about retries, by switching off
 * the retries snowflake-sdk 3.3.0 makes on its own, silently. What the driver really does (read in
 * node_modules/snowflake-sdk/dist/lib):
 *
 * - **Login** (`services/sf.js`, StateConnecting) retries network errors and HTTP 5xx/408/429 up to
 *   `sfRetryMaxLoginRetries` times (default 7) with jittered sleeps of about 2^n s, within
 *   `retryTimeout` seconds (default 300; values under 300 are raised to 300, and 0 means no limit).
 *   Against a port where nothing listens this is the ~173 s of silence before "could not connect".
 *   `sfRetryMaxLoginRetries` is honoured as a connection option: the session passes 0.
 * - **Statement requests** (query-request, result polls) go through the axios retry middleware in
 *   `http/axios_instance.js`: 7 retries of any network error or HTTP 5xx/408/429, sleeps up to 16 s
 *   each, about a minute or two with no output. Its `maxRetries` cannot be set per connection:
 *   `statement.js` builds a `snowflakeRetryConfig` from `sfRetryMaxNumRetries` (not even an accepted
 *   connection option: only parameters marked `external` in `connection_config.js` are), but
 *   `services/sf.js` drops it when it builds the HTTP request, so the middleware's defaults always
 *   apply. The only handle is the middleware's own input: a request interceptor on the driver's
 *   shared axios instance that sets `snowflakeRetryConfig.maxRetries = 0` before the middleware
 *   reads it (axios runs request interceptors last-registered first).
 * - `timeout` (per HTTP request, default 90 s) is honoured and left alone: long statements need it.
 *   There are no `maxHttpRetries` or `noRetry` options in 3.3.0.
 *
 * The interceptor applies to every connection of this process: the CLI talks to Snowflake only
 * through SnowflakeSession, and the package does not export it. Worker processes are separate.
 * The test "a statement on a stopped server fails within seconds" (test/runner/snowflake/session.test.ts)
 * fails if a driver upgrade moves this module.
 */
import './driver-env';

interface AxiosLike {
  interceptors: { request: { use(onFulfilled: (config: Record<string, unknown>) => Record<string, unknown>): number } };
}

let installed: boolean | undefined;

/** Installs the interceptor once; returns whether the driver's internals were where expected. */
export function disableDriverStatementRetries(): boolean {
  if (installed !== undefined) return installed;
  let axios: AxiosLike | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    axios = (require('snowflake-sdk/dist/lib/http/axios_instance') as { default?: AxiosLike }).default;
  } catch {
    axios = undefined;
  }
  if (!axios?.interceptors?.request) return (installed = false);
  axios.interceptors.request.use((config) => {
    if (config.useSnowflakeRetryMiddleware) {
      config.snowflakeRetryConfig = { ...((config.snowflakeRetryConfig as object | undefined) ?? {}), maxRetries: 0 };
    }
    return config;
  });
  return (installed = true);
}
