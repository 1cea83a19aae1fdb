import { ConfigError } from '../../../config/errors';
import type { PostgresSettings } from '../settings';
import { checkIdentifier, TableNames } from '../tables';
import { compileProjections, type CompiledProjections } from './compile';

/**
 * The sink options for `postgres.projections`: compiled, and checked against the event tables of the
 * configured topics, which a projection table in the same schema must not take over.
 */
export function projectionOptions(
  settings: PostgresSettings,
  topics: readonly string[],
): { projections?: CompiledProjections; projectionSchema?: string } {
  if (settings.projections === undefined) return {};
  const projections = compileProjections(settings.projections);
  const schema = settings.schema ?? 'public';
  const projectionSchema = checkIdentifier(settings.projection_schema ?? schema, 'projection_schema');
  if (projectionSchema === schema) {
    const names = new TableNames(settings.tables);
    const eventTables = new Map(
      [...new Set([...topics, ...projections.keys()])].map((topic) => [names.tableFor(topic), topic]),
    );
    for (const [topic, tables] of projections) {
      for (const table of tables.flatMap((entry) => [
        entry.table,
        ...entry.children.map((child) => child.table),
      ])) {
        const owner = eventTables.get(table);
        if (owner !== undefined) {
          throw new ConfigError(
            `postgres.projections["${topic}"]: table "${table}" is the event table of topic "${owner}"; set postgres.projection_schema or name another table`,
          );
        }
      }
    }
  }
  return { projections, projectionSchema };
}
