import type { IngestApp } from '../ingest/app';
import type { ApiGatewayEvent } from '../http/request';
import { json } from '../http/response';

/** A process the local runtime depends on, as /health reports it. */
export interface RuntimeDependency {
  name: string;
  /** `ok`, or what is wrong. */
  status(): string;
}

interface HealthBody {
  status?: string;
  failures?: Record<string, string>;
  dependencies?: Record<string, string>;
  [other: string]: unknown;
}

function isHealthCheck(event: ApiGatewayEvent): boolean {
  const path = 'rawPath' in event ? event.rawPath : event.path;
  return path === '/health';
}

/**
 * Adds the local runtime's own processes (the embedded SQS server and database) to GET /health, so
 * when one of them is down the answer names it, not just the sinks whose queues went quiet.
 */
export function withRuntimeHealth(app: IngestApp, dependencies: RuntimeDependency[]): IngestApp {
  return async (event) => {
    const response = await app(event);
    if (!isHealthCheck(event) || dependencies.length === 0) return response;
    let body: HealthBody;
    try {
      body = JSON.parse(response.body) as HealthBody;
    } catch {
      return response;
    }
    const failures: Record<string, string> = {};
    for (const dependency of dependencies) {
      const status = dependency.status();
      body.dependencies = { ...body.dependencies, [dependency.name]: status };
      if (status !== 'ok') failures[dependency.name] = status;
    }
    if (Object.keys(failures).length === 0) return json(response.statusCode, body, response.headers);
    return json(
      503,
      { ...body, status: 'degraded', failures: { ...failures, ...body.failures } },
      response.headers,
    );
  };
}
