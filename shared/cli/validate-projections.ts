import { ConfigError } from '../config/errors';
import { compileProjections } from '../sinks/postgres/projections/compile';
import { checkMappingsAgainstSchemas } from '../sinks/postgres/projections/schema-check';
import type { ProjectionsSetting } from '../sinks/postgres/projections/spec';

export interface ProjectionProblem {
  message: string;
  /** Names to find the line by, most specific first. */
  names: string[];
}

/**
 * Checks `postgres.projections`: that it compiles, and that each mapping fits its topic's schema
 * (a pointer the schema does not declare, a column type that cannot hold what the schema allows).
 */
export function projectionProblems(
  setting: ProjectionsSetting | undefined,
  schemas: ReadonlyMap<string, unknown>,
): ProjectionProblem[] {
  if (setting === undefined) return [];
  let compiled;
  try {
    compiled = compileProjections(setting);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [{ message: error.message, names: [] }];
  }
  return checkMappingsAgainstSchemas(compiled, schemas).map((problem) => ({
    message: `postgres.projections["${problem.topic}"] table "${problem.table}"${
      problem.column === undefined ? '' : `, column "${problem.column}"`
    }: ${problem.message}`,
    names: [problem.column, problem.table, problem.topic].filter(
      (name): name is string => name !== undefined,
    ),
  }));
}
