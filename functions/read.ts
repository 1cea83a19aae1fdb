import { createReadHandler } from '../shared/read/handler';

/** API Gateway → the read API (events back, stats). Its own function, so reads never take ingest's concurrency. */
export const handler = createReadHandler();
