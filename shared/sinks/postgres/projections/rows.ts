import type { Envelope } from '../../../envelope';
import type { CompiledChildTable, CompiledColumn, CompiledTable } from './compile';
import { formatPointer, resolvePointer } from './pointer';
import { ProjectionViolation } from './values';
import { describeError } from '../../../errors/describe';

/** One row: the converted value of each column, in the table's column order (null for none). */
export type RowValues = unknown[];

export interface ProjectedEvent {
  row: RowValues;
  /** Per child table (in the table's order): one row per array item, item_index last. */
  children: RowValues[][];
}

function envelopeValue(event: Envelope, field: string): unknown {
  switch (field) {
    case 'id':
      return event.id;
    case 'topic':
      return event.topic;
    case 'received_at':
      return event.receivedAt;
    case 'subject':
      return event.subject;
    case 'correlation_id':
      return event.correlationId;
    case 'key':
      return event.key;
    default:
      return undefined;
  }
}

function sameJson(left: unknown, right: unknown): boolean {
  return JSON.stringify(left) === JSON.stringify(right);
}

interface Scope {
  event: Envelope;
  /** What `pointer` columns read: the event, or the array item of a child row. */
  document: unknown;
  /** Where `document` sits in the event, for messages. */
  at: string;
  parent?: { table: CompiledTable; row: RowValues };
}

function columnValue(column: CompiledColumn, scope: Scope): unknown {
  if (column.when) {
    const gate = resolvePointer(scope.document, column.when.pointer);
    if (!column.when.values.some((value) => sameJson(value, gate))) return null;
  }
  let raw: unknown;
  let where: string;
  switch (column.source.kind) {
    case 'pointer':
      raw = resolvePointer(scope.document, column.source.pointer);
      where = `${scope.at}${column.source.text}`;
      break;
    case 'event':
      raw = resolvePointer(scope.event.payload, column.source.pointer);
      where = column.source.text;
      break;
    case 'envelope':
      raw = envelopeValue(scope.event, column.source.field);
      where = `envelope ${column.source.field}`;
      break;
    case 'parent': {
      const { table, row } = scope.parent as NonNullable<Scope['parent']>;
      const name = column.source.column;
      return row[table.columns.findIndex((candidate) => candidate.name === name)];
    }
  }
  if (raw === undefined || raw === null) raw = column.default;
  if (raw === null || raw === undefined) {
    if (column.required)
      throw new ProjectionViolation(`column "${column.name}": ${where || '/'} is missing or null`);
    return null;
  }
  try {
    return column.info.convert(raw);
  } catch (error) {
    throw new ProjectionViolation(`column "${column.name}" from ${where || '/'}: ${describeError(error)}`);
  }
}

function childRows(child: CompiledChildTable, scope: Scope): RowValues[] {
  const items = resolvePointer(scope.event.payload, child.items);
  if (items === undefined || items === null) return [];
  if (!Array.isArray(items)) {
    throw new ProjectionViolation(`child table "${child.table}": ${child.itemsText} is not an array`);
  }
  const prefix = formatPointer(child.items);
  return items.map((item, index) => {
    const itemScope: Scope = { ...scope, document: item, at: `${prefix}/${index}` };
    return [...child.columns.map((column) => columnValue(column, itemScope)), index];
  });
}

/**
 * The rows one event makes in a table and its child tables. Throws ProjectionViolation, naming the
 * column and the pointer, when the event does not fit: that event fails alone.
 */
export function projectEvent(table: CompiledTable, event: Envelope): ProjectedEvent {
  const scope: Scope = { event, document: event.payload, at: '' };
  const row = table.columns.map((column) => columnValue(column, scope));
  const withParent: Scope = { ...scope, parent: { table, row } };
  return { row, children: table.children.map((child) => childRows(child, withParent)) };
}
