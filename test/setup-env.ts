// Keep test output readable: structured logs only for errors, and no CloudWatch EMF lines. A test
// that wants to see more can set these before it starts.
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
