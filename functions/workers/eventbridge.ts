import { createSinkWorker } from '../../shared/queue/sink-worker';
import { eventBridgeSink } from '../../shared/sinks/eventbridge';

/** Lambda entry point of the eventbridge worker: its queue's batches, delivered by the shared worker. */
export const handler = createSinkWorker(eventBridgeSink);
