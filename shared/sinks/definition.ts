import type { GatewayConfig } from '../config/settings';
import { ConfigError } from '../config/errors';
import type { CfnResources, Json } from '../deploy/cloudformation';
import type { DeployParameters } from '../deploy/parameters';
import type { PolicyStatement } from '../deploy/iam';
import type { Envelope } from '../envelope';
import type { EventStore, ReadStoreSettings } from '../read/store';
import type { Sink, SinkName } from './types';

/** A JSON Schema fragment (draft 2020-12), as ajv reads it. */
export type JsonSchema = { [key: string]: Json };

/** config.json as read, before it is checked: sinks rewrite their own keys from the environment. */
export type ConfigDocument = Record<string, unknown>;

/** A sink asked for whose connection the configuration does not name. */
export class SinkNotConfiguredError extends ConfigError {
  override readonly name: string = 'SinkNotConfiguredError';
  constructor(
    readonly sink: SinkName,
    configuredBy: string,
  ) {
    super(`the ${sink} sink is not configured (${configuredBy})`);
  }
}

/**
 * The config.json keys a sink owns. Every key is described by JSON Schema (with `default`s), so the
 * configuration is checked and completed once, in one pass, for every sink together.
 */
export interface SinkSettings {
  /** Top-level config.json keys this sink owns → their schema. */
  properties: Record<string, JsonSchema>;
  /**
   * Deployment-specific values the environment may set instead of config.json (the deployment sets
   * them on the sink's functions); returns the document with them applied.
   */
  fromEnvironment?(document: ConfigDocument, env: NodeJS.ProcessEnv): ConfigDocument;
}

/** Checks and normalises one `--param` value; throws a DeployParameterError when it is unusable. */
export type ParameterRule = (value: string | undefined, name: string) => string | undefined;

/** What a sink deployment is given: the common parameters and this sink's own, already checked. */
export interface SinkDeployContext {
  params: DeployParameters;
  /** One of this sink's parameters (declared in `parameters`), after its rule; undefined when unset. */
  parameter(name: string): string | undefined;
}

/**
 * What a sink cannot take, checked at ingest so a client gets a 4xx for its event instead of a 500
 * (sync) or a 202 followed by a dead letter (async).
 */
export interface SinkAdmission {
  /**
   * Bytes of event JSON that surely fit the sink's record, for the quick check that lets most
   * requests skip measuring (shared/ingest/deliverable.ts).
   */
  room?(config: GatewayConfig, topic: string): number;
  /** Why this event, as the sink would write it, is too large; null when it fits. */
  oversize?(event: Envelope, payloadJson: string, config: GatewayConfig): string | null;
  /** The sink cannot store text holding U+0000 or a lone surrogate (Postgres `jsonb`). */
  refusesUnstorableText?: boolean;
}

/** Dashboard widget a sink adds below its row; the generator places it. */
export interface SinkDashboardWidget {
  title: string;
  /** `[namespace, metric, dimension, value, …, { options }]` lines, as CloudWatch dashboards take them. */
  metrics: Json[][];
  stat: string;
}

/**
 * What deploying a sink adds on top of what every sink gets (its queue, DLQ, worker, role, two
 * alarms and a dashboard row).
 */
export interface SinkDeployContribution {
  /** Variables the sink's client reads, set on its worker and on the ingest function. */
  environment: Record<string, Json>;
  /** What the sink's client may do: granted to its worker, and to the ingest function for sync topics. */
  statements: PolicyStatement[];
  /** Stack resources the sink needs besides its queue and worker, such as a bucket. */
  resources?: CfnResources;
  /** Alarms besides the queue-age and DLQ alarms every sink gets. */
  alarms?: CfnResources;
  /** Widgets besides the four queue widgets of the sink's row. */
  widgets?: SinkDashboardWidget[];
  /** Parameters without which this sink cannot be deployed, each with the reason. */
  requiredParameters?: Array<{ parameter: string; reason: string }>;
  /** The worker has to run inside the VPC (its destination has no public endpoint). */
  vpcAccess?: boolean;
}

export interface SinkDeploySpec {
  /** `--param` names this sink reads, each with the rule that checks it. */
  parameters: Record<string, ParameterRule>;
  contribute(context: SinkDeployContext): SinkDeployContribution;
}

/** How the read API (shared/read) opens the store of the sink that serves reads. */
export interface SinkReadStore {
  /** A reader of what the sink stored; undefined when the configuration does not name its destination. */
  open(
    config: GatewayConfig,
    env: NodeJS.ProcessEnv,
    settings: ReadStoreSettings,
  ): Promise<EventStore | undefined>;
}

/**
 * Everything EventGate knows about one sink. The registry, the workers, `/health`, `eventgate
 * validate` and the deploy generator work from a list of these (./catalog.ts) and never from a
 * sink's name, so a sink is added by adding its folder and one line to that list.
 */
export interface SinkDefinition {
  readonly name: SinkName;
  readonly settings: SinkSettings;
  /** Whether the configuration names this sink's destination (a cheap check, no network). */
  isConfigured(config: GatewayConfig, env: NodeJS.ProcessEnv): boolean;
  /** Builds the sink from the configuration; throws SinkNotConfiguredError when it is not configured. */
  create(config: GatewayConfig, env: NodeJS.ProcessEnv): Promise<Sink>;
  readonly deploy: SinkDeploySpec;
  /**
   * npm packages only this sink's client loads. Bundles of functions that never write to the sink
   * leave them out (see shared/deploy/bundling/leave-out-sinks.ts).
   */
  readonly clientPackages: readonly string[];
  /** Limits checked at ingest; none when the sink takes whatever the queue carries. */
  readonly admission?: SinkAdmission;
  /**
   * Present when this sink serves reads: the read API (shared/read) reads what it stores, through
   * this. The read function is deployed when this sink is, with its environment and statements, and
   * bundled with its client packages. At most one sink of a catalog serves reads.
   */
  readonly readStore?: SinkReadStore;
}

/** The parts of a definition whose types depend on the sink's own client options. */
export interface SinkSpec<Options> extends Omit<SinkDefinition, 'create' | 'readStore'> {
  /** What to set for `isConfigured` to hold, for the "not configured" error. */
  readonly configuredBy: string;
  /** The client's options from the configuration; undefined when the sink is not configured. */
  clientOptions(
    config: GatewayConfig,
    env: NodeJS.ProcessEnv,
  ): Promise<Options | undefined> | Options | undefined;
  /** The sink itself. Load the client library here, not at the top of the module: see clientPackages. */
  createSink(options: Options): Sink;
  /**
   * For a sink that serves reads: a reader of what it stored, from the same client options. Load
   * the client library here too, not at the top of the module.
   */
  createReadStore?(options: Options, settings: ReadStoreSettings): EventStore;
}

/**
 * A definition from its typed parts: `create` is options from config, then the sink; `readStore`,
 * when the sink serves reads, the same options, then its reader.
 */
export function defineSink<Options>(spec: SinkSpec<Options>): SinkDefinition {
  const { configuredBy, clientOptions, createSink, createReadStore, ...definition } = spec;
  const readStore: SinkReadStore | undefined = createReadStore && {
    async open(config, env, settings) {
      const options = await clientOptions(config, env);
      return options === undefined ? undefined : createReadStore(options, settings);
    },
  };
  return {
    ...definition,
    async create(config, env) {
      const options = await clientOptions(config, env);
      if (options === undefined) throw new SinkNotConfiguredError(spec.name, configuredBy);
      return createSink(options);
    },
    ...(readStore && { readStore }),
  };
}
