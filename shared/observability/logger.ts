import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

/** One structured JSON logger per process. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'eventgate' });

/**
 * Called as each invocation starts: every line logged until the next one carries the Lambda context
 * (request id, function name and version, cold start) and the given keys, such as the request's
 * correlation id. A Lambda container runs one invocation at a time, so the keys of the previous one
 * are dropped here. (The local runtime serves requests concurrently; its lines about one event also
 * name the correlation id explicitly.)
 */
export function startInvocation(context: Context | undefined, keys: Record<string, string> = {}): void {
  logger.resetKeys();
  if (context?.awsRequestId) logger.addContext(context);
  logger.appendKeys(keys);
}
