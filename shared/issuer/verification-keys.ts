import { KeyStore, type VerificationKey } from '../auth/keys';

/**
 * The keys the gateway verifies tokens with when it issues tokens itself: its own public key,
 * known in-process (no fetch of its own JWKS), and the outside provider's keys when one is
 * configured. A failing outside key server does not stop the gateway's own tokens.
 */
export class KeysWithIssuer extends KeyStore {
  constructor(
    private readonly own: readonly VerificationKey[],
    private readonly outside: KeyStore | null,
  ) {
    // The base class is only used for its interface; every method that reads keys is overridden.
    super({ keys: { keys: [] } });
  }

  override async getKeys(): Promise<readonly VerificationKey[]> {
    if (this.outside === null) return this.own;
    try {
      return [...this.own, ...(await this.outside.getKeys())];
    } catch {
      return this.own;
    }
  }

  override async refreshForUnknownKey(): Promise<boolean> {
    return this.outside?.refreshForUnknownKey() ?? false;
  }

  override async reload(): Promise<void> {
    await this.outside?.reload();
  }
}
