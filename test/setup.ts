// cdktf's jest matchers (toHaveResourceWithProperties, ...) at runtime; tests import
// "cdktf/lib/testing/adapters/jest" for their types.
import { Testing } from 'cdktf';

Testing.setupJest();

// Silence snowflake-sdk's AWS dependency's Node-version notice in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// No cloud-metadata probes from snowflake-sdk in tests (they would leave this machine).
process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = 'true';

// Temporary directories made through test/tmp.ts go after each test file.
// eslint-disable-next-line @typescript-eslint/no-require-imports
afterAll(() => (require('./tmp') as typeof import('./tmp')).removeTempDirs());
