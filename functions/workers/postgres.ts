import { createSinkWorker } from '../../shared/queue/sink-worker';
import { postgresSink } from '../../shared/sinks/postgres';

/** Lambda entry point of the postgres worker: its queue's batches, delivered by the shared worker. */
export const handler = createSinkWorker(postgresSink);
