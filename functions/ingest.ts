import { createIngestHandler } from '../shared/ingest/handler';

/** API Gateway (REST v1 or HTTP API v2) → ingest. Created once per container, reused by every request. */
export const handler = createIngestHandler();
