import type { VerificationKey } from '../../../shared/auth/keys';
import { RememberedTokens } from '../../../shared/auth/remembered-tokens';
import type { VerifiedToken } from '../../../shared/auth/token';

const KEYS: readonly VerificationKey[] = [];
const verified = (subject: string): VerifiedToken => ({ subject, claims: { sub: subject } });

/** Which of `tokens` are remembered, in the order given. */
function held(remembered: RememberedTokens, tokens: string[]): string[] {
  return tokens.filter((token) => remembered.get(token) !== undefined);
}

describe('RememberedTokens', () => {
  test('holds at most its capacity, forgetting the one remembered longest ago', () => {
    const remembered = new RememberedTokens(3);
    for (const token of ['a', 'b', 'c']) remembered.remember(token, verified(token), KEYS);
    expect(held(remembered, ['a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
    remembered.remember('d', verified('d'), KEYS);
    expect(held(remembered, ['a', 'b', 'c', 'd'])).toEqual(['b', 'c', 'd']);
    expect(remembered.size).toBe(3);
    expect(remembered.get('d')?.verified).toEqual(verified('d'));
    expect(remembered.get('d')?.keys).toBe(KEYS);
  });

  test('goes round and round without growing', () => {
    const remembered = new RememberedTokens(4);
    for (let index = 0; index < 1000; index++) remembered.remember(`t${index}`, verified('x'), KEYS);
    expect(remembered.size).toBe(4);
    expect(held(remembered, ['t995', 't996', 't997', 't998', 't999'])).toEqual([
      't996',
      't997',
      't998',
      't999',
    ]);
  });

  test('a token forgotten and remembered again counts from its new place', () => {
    const remembered = new RememberedTokens(3);
    for (const token of ['a', 'b', 'c']) remembered.remember(token, verified(token), KEYS);
    remembered.forget('a');
    expect(remembered.get('a')).toBeUndefined();
    remembered.remember('a', verified('a2'), KEYS);
    // 'a' took the slot of 'a' (the oldest), so 'b' is now the oldest.
    remembered.remember('e', verified('e'), KEYS);
    expect(held(remembered, ['a', 'b', 'c', 'e'])).toEqual(['a', 'c', 'e']);
    expect(remembered.get('a')?.verified.subject).toBe('a2');
    remembered.remember('f', verified('f'), KEYS);
    remembered.remember('g', verified('g'), KEYS);
    expect(held(remembered, ['a', 'c', 'e', 'f', 'g'])).toEqual(['e', 'f', 'g']);
  });

  test('the same token remembered twice in a row keeps the newer entry when its older slot comes round', () => {
    const remembered = new RememberedTokens(2);
    remembered.remember('a', verified('first'), KEYS);
    remembered.remember('a', verified('second'), KEYS);
    remembered.remember('b', verified('b'), KEYS);
    // The slot 'a' first had is reused by 'b': 'a' had moved on, so it stays.
    expect(remembered.get('a')?.verified.subject).toBe('second');
    expect(held(remembered, ['a', 'b'])).toEqual(['a', 'b']);
  });

  test('an entry answers only for its own token, whatever other tokens share its end', () => {
    const tail = 'S'.repeat(40);
    const [first, second, third] = ['aaa', 'bbb', 'ccc'].map((start) => `${start}.payload.${tail}`) as [
      string,
      string,
      string,
    ];
    const remembered = new RememberedTokens(4);
    remembered.remember(first, verified('first'), KEYS);
    expect(remembered.get(first)?.verified.subject).toBe('first');
    expect(remembered.get(second)).toBeUndefined();
    expect(remembered.get(tail)).toBeUndefined();
    // Forgetting a token that is not the one held leaves the held one alone.
    remembered.forget(second);
    expect(remembered.get(first)?.verified.subject).toBe('first');
    remembered.remember(second, verified('second'), KEYS);
    expect(remembered.get(second)?.verified.subject).toBe('second');
    expect(remembered.get(first)).toBeUndefined();
    expect(remembered.get(third)).toBeUndefined();
    // The slot the first one had comes round without taking the second with it.
    for (const filler of ['w', 'x', 'y'])
      remembered.remember(`${filler}.p.${filler}`, verified(filler), KEYS);
    expect(remembered.get(second)?.verified.subject).toBe('second');
    remembered.forget(second);
    expect(remembered.get(second)).toBeUndefined();
  });
});
