import { parseArgs } from 'node:util';
import { ensureDevSigningKey, mintToken } from '../auth/dev-key';
import { DEFAULTS } from '../config/settings';
import { resolveStateDir } from '../local/state-folder';
import type { Command } from './main';

const HELP = `Usage: eventgate token [--subject NAME] [--ttl SECONDS] [--state-dir DIR]

Mints a development token signed by the local signing key, which the local gateway trusts.

  --subject NAME    the token's sub claim (default TestUser)
  --ttl SECONDS     lifetime (default 43200, twelve hours); the gateway refuses tokens that live
                    longer than its token_max_lifetime_seconds (86400 unless configured)
  --issuer ISS      iss claim, for configs that check it
  --audience AUD    aud claim, for configs that check it
  --state-dir DIR   where the signing key lives (default ./.eventgate)
`;

export const command: Command = {
  summary: 'mint a development token',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        subject: { type: 'string', default: 'TestUser' },
        ttl: { type: 'string', default: '43200' },
        issuer: { type: 'string' },
        audience: { type: 'string' },
        'state-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const ttlSeconds = Number(values.ttl);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
      console.error(`--ttl must be a positive number of seconds, got "${values.ttl}"`);
      return 2;
    }
    if (ttlSeconds > DEFAULTS.token_max_lifetime_seconds) {
      console.error(
        `warning: a ${ttlSeconds}-second token is refused by a gateway with the default token_max_lifetime_seconds (${DEFAULTS.token_max_lifetime_seconds})`,
      );
    }
    const key = await ensureDevSigningKey(resolveStateDir({ explicit: values['state-dir'] }));
    console.log(
      await mintToken(key, {
        subject: values.subject as string,
        ttlSeconds,
        issuer: values.issuer,
        audience: values.audience,
      }),
    );
    return 0;
  },
};
