import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const POSTGRES_ROOT = '/usr/lib/postgresql';

/** Where Debian's `chromium` package puts the browser the CORS test drives. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

function runs(program: string, flag: string): boolean {
  return spawnSync(program, [flag], { stdio: 'ignore' }).error === undefined;
}

function hasPostgresServer(): boolean {
  if (process.env.EVENTGATE_PG_BINDIR) return true;
  return (
    existsSync(POSTGRES_ROOT) &&
    readdirSync(POSTGRES_ROOT).some((version) => existsSync(`${POSTGRES_ROOT}/${version}/bin/initdb`))
  );
}

function hasChromium(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** Debian packages the tests or the benchmark run, each with how to tell it is installed. */
const PACKAGES = {
  kcat: () => runs('kcat', '-V'),
  postgresql: hasPostgresServer,
  chromium: hasChromium,
  // The benchmark's HTTP load generator.
  wrk: () => runs('wrk', '--version'),
} as const;

export type SystemPackage = keyof typeof PACKAGES;

/**
 * The peers the tests start are Debian programs (a Postgres server, kcat for the Kafka mock
 * cluster, Chromium for the browser test). On a fresh Debian machine where we may install packages,
 * install what is missing so `npm test` works with no other step; elsewhere say what to install.
 */
export function ensureSystemPackages(
  wanted: readonly SystemPackage[] = ['kcat', 'postgresql', 'chromium'],
): void {
  const missing = wanted.filter((name) => !PACKAGES[name]());
  if (missing.length === 0) return;
  const canInstall =
    process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!canInstall) {
    console.warn(
      `What needs ${missing.join(' and ')} will fail: install them (apt-get install -y ${missing.join(' ')}).`,
    );
    return;
  }
  console.log(`Installing ${missing.join(', ')} (apt-get)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const result = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env,
  });
  if (result.status !== 0)
    console.warn(`apt-get install ${missing.join(' ')} failed; what needs them will fail.`);
}
