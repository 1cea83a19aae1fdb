import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const POSTGRES_ROOT = '/usr/lib/postgresql';

/** Where Debian's `chromium` package puts the browser the CORS test drives. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

function hasKcat(): boolean {
  return spawnSync('kcat', ['-V'], { stdio: 'ignore' }).error === undefined;
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

/**
 * The peers the tests start are Debian programs (a Postgres server, kcat for the Kafka mock
 * cluster, Chromium for the browser test). On a fresh Debian machine where we may install packages,
 * install what is missing so `npm test` works with no other step; elsewhere say what to install.
 */
export function ensureSystemPackages(): void {
  const missing = [
    ...(hasKcat() ? [] : ['kcat']),
    ...(hasPostgresServer() ? [] : ['postgresql']),
    ...(hasChromium() ? [] : ['chromium']),
  ];
  if (missing.length === 0) return;
  const canInstall =
    process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!canInstall) {
    console.warn(
      `Tests that need ${missing.join(' and ')} will fail: install them (apt-get install -y ${missing.join(' ')}).`,
    );
    return;
  }
  console.log(`Installing test peers: ${missing.join(', ')} (apt-get)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const result = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env,
  });
  if (result.status !== 0)
    console.warn(`apt-get install ${missing.join(' ')} failed; the tests needing them will fail.`);
}
