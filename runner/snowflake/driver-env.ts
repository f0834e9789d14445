/**
 * Imported before snowflake-sdk everywhere: the driver probes cloud metadata endpoints
 * (169.254.169.254 and others) at load time to detect its platform, and its AWS dependency prints
 * a Node-version notice. Neither is wanted from a CLI, tests or a local demo, and the probes are
 * network traffic to addresses this project must never contact. Users can still opt back in by
 * setting the variables to "false" themselves.
 */
process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};
