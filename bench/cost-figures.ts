import { sinkQueueSettings } from '../shared/queue/topology';
import type { SinkName } from '../shared/sinks/types';
import {
  asyncCost,
  costFigure,
  COST_SECTION,
  pythonCost,
  syncCost,
  type CostSink,
  type WorkerProfile,
} from './cost';
import type { DrainMeasurement } from './drain';
import { BATCH_SIZES, type IngestMeasurements, type PathName } from './ingest';
import type { Figure } from './report';

const ASYNC_SINKS: Record<Exclude<PathName, 'sync, 1 sink'>, CostSink[]> = {
  'async, 1 sink': ['postgres'],
  'async, 4 sinks': ['postgres', 'kafka', 'eventbridge', 's3'],
};

/**
 * A sink's worker as deployed: its batch size from the topology, its billed duration per event from
 * the drain section's batch time at the measured size closest to the deployed one.
 */
function workerProfile(sink: CostSink, drain: readonly DrainMeasurement[] | undefined): WorkerProfile {
  const batchSize = sinkQueueSettings(sink as SinkName).batchSize;
  const measured = (drain ?? [])
    .filter((entry) => entry.sink === sink)
    .sort((a, b) => Math.abs(a.batchSize - batchSize) - Math.abs(b.batchSize - batchSize))[0];
  return {
    sink,
    batchSize,
    durationMsPerEvent: measured ? measured.batchP50Ms / measured.batchSize : 0,
  };
}

/** The cost section: each measured path at each batch size, and the Python EventGate's design. */
export function costFigures(
  ingest: IngestMeasurements | undefined,
  drain: readonly DrainMeasurement[] | undefined,
): Figure[] {
  if (!ingest) {
    return [
      {
        section: COST_SECTION,
        label: 'cost per million events',
        value: null,
        unit: '$',
        note: 'needs the ingest section',
      },
    ];
  }
  const workerNote =
    drain && drain.length > 0
      ? 'workers billed for their measured batch time against loopback peers'
      : 'workers’ duration not measured in this run (add the drain section): their GB-s count as 0';
  const figures: Figure[] = [];
  for (const [path, sinks] of Object.entries(ASYNC_SINKS) as Array<[keyof typeof ASYNC_SINKS, CostSink[]]>) {
    const workers = sinks.map((sink) => workerProfile(sink, drain));
    for (const batch of BATCH_SIZES) {
      const measured = ingest[path][batch];
      const cost = asyncCost({ batch, ...measured }, workers);
      figures.push(
        costFigure(
          `${path} (${sinks.join(', ')}), ${batch} per request`,
          cost,
          `ingest at its measured CPU; ${workerNote}`,
        ),
      );
    }
  }
  for (const batch of BATCH_SIZES) {
    const cost = syncCost({ batch, ...ingest['sync, 1 sink'][batch] }, ['postgres']);
    figures.push(
      costFigure(`sync, 1 sink (postgres), ${batch} per request`, cost, 'ingest at its measured CPU'),
    );
  }
  figures.push(
    costFigure(
      'Python EventGate design: sync to kafka, eventbridge, postgres, 1 per request',
      pythonCost(),
      'its CPU from the 1,145 events/s per core measured on the same work; it has no batch form',
    ),
  );
  figures.push({
    section: COST_SECTION,
    label: 'what these leave out',
    value: null,
    unit: '',
    note:
      'Lambda duration is billed in wall time: ingest also waits for each SendMessageBatch (async) or sink write (sync), ' +
      'which CPU does not show; Kafka (MSK) and Postgres (RDS) are priced by capacity, not per call',
  });
  return figures;
}
