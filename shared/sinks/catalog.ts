import type { SinkDefinition, SinkReadStore } from './definition';
import type { SinkName } from './types';
import { eventBridgeSink } from './eventbridge';
import { kafkaSink } from './kafka';
import { postgresSink } from './postgres';
import { s3ArchiveSink } from './s3';

/** Every sink EventGate can deliver to, in the order lists, headers and the dashboard show them. */
export const SINK_DEFINITIONS: readonly SinkDefinition[] = [
  kafkaSink,
  eventBridgeSink,
  postgresSink,
  s3ArchiveSink,
];

/** The definition of a sink that serves reads: it says how to open its store. */
export type ReadServingDefinition = SinkDefinition & { readonly readStore: SinkReadStore };

function servesReads(definition: SinkDefinition): definition is ReadServingDefinition {
  return definition.readStore !== undefined;
}

/** A list of sink definitions, looked up by name. Tests build their own with extra definitions. */
export class SinkCatalog {
  readonly names: readonly SinkName[];
  /** The sink whose stored events the read API serves, if the catalog has one. */
  readonly readSource: ReadServingDefinition | undefined;
  private readonly byName: ReadonlyMap<SinkName, SinkDefinition>;

  constructor(readonly definitions: readonly SinkDefinition[]) {
    this.byName = new Map(definitions.map((definition) => [definition.name, definition]));
    if (this.byName.size !== definitions.length) throw new Error('two sink definitions share a name');
    this.names = definitions.map((definition) => definition.name);
    const readSources = definitions.filter(servesReads);
    if (readSources.length > 1) {
      throw new Error(
        `only one sink can serve reads, not ${readSources.map(({ name }) => name).join(' and ')}`,
      );
    }
    this.readSource = readSources[0];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get(name: SinkName): SinkDefinition {
    const definition = this.byName.get(name);
    if (!definition) throw new Error(`unknown sink "${name}" (known: ${this.names.join(', ')})`);
    return definition;
  }

  /** The given names in catalog order, duplicates dropped; names not in the catalog are left out. */
  inOrder(names: Iterable<string>): SinkName[] {
    const wanted = new Set(names);
    return this.names.filter((name) => wanted.has(name));
  }
}

export const sinkCatalog = new SinkCatalog(SINK_DEFINITIONS);

export const SINK_NAMES: readonly SinkName[] = sinkCatalog.names;

export function isSinkName(value: string): boolean {
  return sinkCatalog.has(value);
}
