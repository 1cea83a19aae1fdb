import { createSinkWorker } from '../../shared/queue/sink-worker';
import { kafkaSink } from '../../shared/sinks/kafka';

/** Lambda entry point of the kafka worker: its queue's batches, delivered by the shared worker. */
export const handler = createSinkWorker(kafkaSink);
