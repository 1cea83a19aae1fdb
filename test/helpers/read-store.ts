import type { StatsRequest } from '../../shared/read/stats';
import type { EventPage, EventStore, EventWindow, RunJob, StoredEvent } from '../../shared/read/store';

/**
 * A read store kept in memory: the events and run jobs it is given, nothing it needs a database
 * for. Paging and windows are left out; what it answers shows which store the read API asked.
 */
export class MemoryEventStore implements EventStore {
  closed = false;

  constructor(
    private readonly stored: readonly StoredEvent[],
    private readonly jobs: ReadonlyMap<string, readonly RunJob[]> = new Map(),
  ) {}

  async event(topic: string, eventId: string): Promise<StoredEvent | undefined> {
    return this.stored.find((event) => event.topic === topic && event.eventId === eventId);
  }

  async events(topic: string, window: EventWindow): Promise<EventPage<StoredEvent>> {
    const rows = this.stored.filter((event) => event.topic === topic);
    return { rows: rows.slice(0, window.limit), cursor: null, hasMore: rows.length > window.limit };
  }

  statsTopics(): string[] {
    return [...this.jobs.keys()];
  }

  async runJobs(topic: string, request: StatsRequest): Promise<{ jobs: RunJob[]; hasMore: boolean }> {
    const jobs = this.jobs.get(topic) ?? [];
    return { jobs: jobs.slice(0, request.limit), hasMore: jobs.length > request.limit };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
