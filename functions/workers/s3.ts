import { createSinkWorker } from '../../shared/queue/sink-worker';
import { s3ArchiveSink } from '../../shared/sinks/s3';

/** Lambda entry point of the s3 worker: its queue's batches, delivered by the shared worker. */
export const handler = createSinkWorker(s3ArchiveSink);
