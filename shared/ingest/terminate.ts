import { casefold } from '../auth/access';
import { ConfigLoadError, type GatewayState, type GatewayStateLoader } from '../gateway/state';
import type { HttpRequest } from '../http/request';
import { errorResponse, json, type HttpResponse } from '../http/response';
import { logger } from '../observability/logger';
import { authenticate } from './post-events';
import { describeError } from '../errors/describe';

/**
 * `POST /terminate`: reload config, access map, schemas and keys now. An operator action: the
 * caller needs a valid token whose subject is listed under `operators` in config.json (matched like
 * the access map, ignoring case). A reload that fails keeps the previous configuration and answers
 * with the file and the reason. On Lambda the reload reaches only the container that served it.
 */
export async function terminate(
  request: HttpRequest,
  correlationId: string,
  loader: GatewayStateLoader,
): Promise<HttpResponse> {
  let state: GatewayState;
  try {
    state = await loader.current();
  } catch (error) {
    // Without a configuration there is no key to check an operator's token with; the reason is
    // logged, not told to a caller nobody has authenticated.
    logger.error('configuration could not be loaded', { correlationId, error });
    return errorResponse(503, {
      type: 'config',
      message: 'No configuration is loaded, so no operator can be authenticated; see the logs',
    });
  }

  const identity = await authenticate(request, state, correlationId);
  if (identity === null) return errorResponse(401, { type: 'auth', message: 'Invalid or missing token' });
  if (identity.subject === null || !state.operators.has(casefold(identity.subject))) {
    const who = identity.subject === null ? 'A token without a subject' : `User '${identity.subject}'`;
    return errorResponse(403, {
      type: 'auth',
      message:
        state.operators.size === 0
          ? 'No operators are configured (config.json "operators"), so nobody may reload'
          : `${who} is not an operator`,
    });
  }

  let reloaded: GatewayState;
  try {
    reloaded = await loader.reload();
  } catch (error) {
    const file = error instanceof ConfigLoadError ? error.file : undefined;
    const message = describeError(error);
    logger.error('configuration reload failed on request', { correlationId, file, error });
    return errorResponse(500, {
      type: 'config',
      message: `Reload failed; the previous configuration stays in use: ${message}`,
      ...(file === undefined ? {} : { file }),
      reason: message,
    });
  }
  logger.info('configuration reloaded on request', {
    correlationId,
    operator: identity.subject,
    topics: reloaded.topics.names().length,
  });
  return json(200, {
    success: true,
    statusCode: 200,
    message: 'Configuration, access map, schemas and keys reloaded (in this instance only)',
    topics: reloaded.topics.names(),
  });
}
