import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import { ConfigError } from '../config/errors';
import { SECRETS_MANAGER_PREFIX, secretsManager } from './clients';
import { describeError } from '../errors/describe';

export type IssuerAlgorithm = 'RS256' | 'ES256';

/** The issuer's private key, with what it publishes about it. */
export interface IssuerSigningKey {
  algorithm: IssuerAlgorithm;
  kid: string;
  privateKey: KeyObject;
  /** The public half as a JWK, with `kid`, `alg` and `use`: one entry of /.well-known/jwks.json. */
  publicJwk: JWK;
}

async function readPem(location: string, baseDir: string, region?: string): Promise<string> {
  if (location.startsWith(SECRETS_MANAGER_PREFIX)) {
    const secretId = location.slice(SECRETS_MANAGER_PREFIX.length);
    const { GetSecretValueCommand, SecretsManagerClient } = secretsManager();
    const client = new SecretsManagerClient(region ? { region } : {});
    try {
      const answer = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (!answer.SecretString) throw new ConfigError(`${location} holds no string secret`);
      return answer.SecretString;
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(`cannot read the token signing key ${location}: ${describeError(error)}`);
    } finally {
      client.destroy();
    }
  }
  const file = path.resolve(baseDir, location);
  return readFile(file, 'utf8').catch((error: Error) => {
    throw new ConfigError(
      `cannot read the token signing key ${file}: ${error.message} (create one with \`eventgate client key\`)`,
    );
  });
}

/** Builds the signing key from PEM text: RSA of 2048 bits or more signs RS256, P-256 signs ES256. */
export async function signingKeyFromPem(pem: string, source: string): Promise<IssuerSigningKey> {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (error) {
    throw new ConfigError(`${source} is not a PEM private key: ${describeError(error)}`);
  }
  const details = privateKey.asymmetricKeyDetails ?? {};
  let algorithm: IssuerAlgorithm;
  if (privateKey.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048) algorithm = 'RS256';
  else if (privateKey.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') algorithm = 'ES256';
  else throw new ConfigError(`${source}: the token signing key must be RSA (2048 bits or more) or EC P-256`);
  const jwk = await exportJWK(createPublicKey(privateKey));
  const kid = await calculateJwkThumbprint(jwk);
  return { algorithm, kid, privateKey, publicJwk: { ...jwk, kid, alg: algorithm, use: 'sig' } };
}

export async function loadSigningKey(
  location: string,
  baseDir: string,
  region?: string,
): Promise<IssuerSigningKey> {
  return signingKeyFromPem(await readPem(location, baseDir, region), location);
}

/** A new private key as PKCS#8 PEM; ES256 by default (small tokens, fast signatures). */
export function generateSigningKeyPem(algorithm: IssuerAlgorithm = 'ES256'): string {
  const { privateKey } =
    algorithm === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 3072 });
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}
