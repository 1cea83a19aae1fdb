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

  /** Own and outside keys together, kept while the outside store serves the same key set. */
  private combined?: { outside: readonly VerificationKey[]; keys: readonly VerificationKey[] };

  /**
   * The same array for as long as the key sets stay the same: the verifier trusts a remembered token
   * only while the key set it was checked against is the current one, so a new array on every call
   * would make every token a first sight.
   */
  override async getKeys(): Promise<readonly VerificationKey[]> {
    if (this.outside === null) return this.own;
    let outside: readonly VerificationKey[];
    try {
      outside = await this.outside.getKeys();
    } catch {
      return this.own;
    }
    return this.withOutside(outside);
  }

  override keysAtHand(): readonly VerificationKey[] | undefined {
    if (this.outside === null) return this.own;
    const outside = this.outside.keysAtHand();
    return outside === undefined ? undefined : this.withOutside(outside);
  }

  private withOutside(outside: readonly VerificationKey[]): readonly VerificationKey[] {
    if (this.combined?.outside !== outside) this.combined = { outside, keys: [...this.own, ...outside] };
    return this.combined.keys;
  }

  override async refreshForUnknownKey(): Promise<boolean> {
    return this.outside?.refreshForUnknownKey() ?? false;
  }

  override async reload(): Promise<void> {
    await this.outside?.reload();
  }
}
