/**
 * Imported first by the benchmark: the AWS SDK warns, once per process, that its 2027 releases will
 * need Node 22. That is known and no benchmark finding; the SDK's own switch turns it off (child
 * processes inherit it).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
