// cdktf's jest matchers (toHaveResourceWithProperties, ...) at runtime; tests import
// "cdktf/lib/testing/adapters/jest" for their types.
import { Testing } from 'cdktf';

Testing.setupJest();
