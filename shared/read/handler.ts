import { confDir as defaultConfDir, type GatewayConfig } from '../config/settings';
import { GatewayStateLoader } from '../gateway/state';
import type { ApiGatewayEvent } from '../http/request';
import type { HttpResponse } from '../http/response';
import { postgresSink } from '../sinks/postgres';
import { postgresSinkOptionsFromConfig } from '../sinks/postgres/config';
import type { PostgresConfigKeys } from '../sinks/postgres/settings';
import { createReadApp, type EventStoreProvider, type ReadApp } from './app';
import { matchReadRoute } from './routes';
import { EventStore, type EventStoreOptions } from './store';

export interface ReadHandlerOptions {
  confDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Settings of the read connections other than where they go. */
  store?: Omit<EventStoreOptions, 'postgres'>;
}

/** The store follows the loaded config: rebuilt (the old one closed) only when its content changed. */
function storeFollowingConfig(
  state: GatewayStateLoader,
  env: NodeJS.ProcessEnv,
  settings: Omit<EventStoreOptions, 'postgres'>,
): EventStoreProvider {
  let current: { config: GatewayConfig; content: string; store: Promise<EventStore | undefined> } | undefined;
  return async () => {
    const { config } = await state.current();
    if (current?.config !== config) {
      const content = JSON.stringify((config as PostgresConfigKeys).postgres ?? null);
      if (current?.content === content) current.config = config;
      else {
        const previous = current?.store;
        void previous?.then((store) => store?.close());
        const store = postgresSinkOptionsFromConfig(config as PostgresConfigKeys & GatewayConfig, env).then(
          (postgres) => (postgres === undefined ? undefined : new EventStore({ ...settings, postgres })),
        );
        current = { config, content, store };
        store.catch(() => {
          if (current?.store === store) current = undefined;
        });
      }
    }
    return current.store;
  };
}

/** Wires the read app to config from CONF_DIR and the Postgres sink's connection settings. */
export function createReadHandler(options: ReadHandlerOptions = {}): ReadApp {
  const env = options.env ?? process.env;
  const state = new GatewayStateLoader({ confDir: options.confDir ?? defaultConfDir(env), env });
  return createReadApp({
    state,
    store: storeFollowingConfig(state, env, options.store ?? {}),
    storedBy: postgresSink.name,
  });
}

/** One HTTP entry point for both apps, as the local runtime serves them: read routes go to `read`. */
export function withReadRoutes(
  ingest: (event: ApiGatewayEvent) => Promise<HttpResponse>,
  read: ReadApp,
): (event: ApiGatewayEvent) => Promise<HttpResponse> {
  return (event) => {
    const path = 'rawPath' in event ? event.rawPath : event.path;
    return matchReadRoute('GET', path).kind === 'not-found' ? ingest(event) : read(event);
  };
}
