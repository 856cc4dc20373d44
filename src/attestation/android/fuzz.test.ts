import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCertificate } from '../../crypto/x509/certificate.js';
import { KeywardError } from '../../errors.js';
import { androidVerifier } from '../../../test/helpers/android.js';
import { androidVectors } from '../../../test/helpers/vectors.js';
import { KEY_DESCRIPTION_OID } from './constants.js';
import { parseKeyDescription } from './key-description.js';

/** Mutations of real DER: flip bits, overwrite, truncate, insert and delete bytes. */
const mutation = (length: number) =>
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(length - 1), bit: fc.nat(7) }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(length - 1), value: fc.nat(255) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(length - 1) }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(length - 1),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(length - 1), count: fc.integer({ min: 1, max: 8 }) }),
  );

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number };

function mutate(input: Buffer, change: Mutation): Buffer {
  const bytes = Buffer.from(input);
  switch (change.kind) {
    case 'flip':
      bytes[change.at] = bytes[change.at]! ^ (1 << change.bit);
      return bytes;
    case 'set':
      bytes[change.at] = change.value;
      return bytes;
    case 'truncate':
      return bytes.subarray(0, change.at);
    case 'insert':
      return Buffer.concat([bytes.subarray(0, change.at), change.bytes, bytes.subarray(change.at)]);
    case 'delete':
      return Buffer.concat([bytes.subarray(0, change.at), bytes.subarray(change.at + change.count)]);
  }
}

const categoryOf = (run: () => unknown): string => {
  try {
    run();
    return 'accepted';
  } catch (error) {
    if (!(error instanceof KeywardError)) return `untyped ${String(error)}`;
    return error.category;
  }
};

const asyncCategoryOf = async (run: () => Promise<unknown>): Promise<string> => {
  try {
    await run();
    return 'accepted';
  } catch (error) {
    if (!(error instanceof KeywardError)) return `untyped ${String(error)}`;
    return error.category;
  }
};

describe('Android attestation input never crashes the verifier', () => {
  const vector = androidVectors().find((v) => v.name === 'akita/sdk34/TEE_EC_NONE')!;
  const record = Buffer.from(parseCertificate(vector.chain[0]!).extension(KEY_DESCRIPTION_OID)!.value);
  const verifier = androidVerifier({ policy: { requireLockedBootloader: false, maxPatchMonthsAhead: 12 } });

  it('decodes mutated KeyDescriptions or rejects them as CONTENT', () => {
    fc.assert(
      fc.property(mutation(record.length), (change) => {
        expect(['accepted', 'CONTENT']).toContain(categoryOf(() => parseKeyDescription(mutate(record, change))));
      }),
      { numRuns: 500 },
    );
  });

  it('rejects random bytes as CONTENT', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        expect(categoryOf(() => parseKeyDescription(bytes))).toBe('CONTENT');
        expect(categoryOf(() => parseCertificate(bytes))).toBe('CONTENT');
      }),
      { numRuns: 500 },
    );
  });

  it('rejects chains with a mutated leaf as CONTENT or TRUST, never anything else', async () => {
    await fc.assert(
      fc.asyncProperty(mutation(vector.chain[0]!.length), async (change) => {
        const leaf = mutate(vector.chain[0]!, change);
        fc.pre(!leaf.equals(vector.chain[0]!)); // writing a byte's own value back changes nothing
        const chain = [leaf, ...vector.chain.slice(1)];
        expect(['CONTENT', 'TRUST']).toContain(
          await asyncCategoryOf(() => verifier.verify({ chain, challenge: vector.challenge, at: vector.createdAt })),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('rejects chains with a mutated intermediate as CONTENT or TRUST', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: vector.chain.length - 2 }), fc.nat(), async (index, seed) => {
        const target = vector.chain[index]!;
        const change: Mutation = { kind: 'flip', at: seed % target.length, bit: seed % 8 };
        const chain = vector.chain.map((der, i) => (i === index ? mutate(der, change) : der));
        expect(['CONTENT', 'TRUST']).toContain(
          await asyncCategoryOf(() => verifier.verify({ chain, challenge: vector.challenge, at: vector.createdAt })),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('anchors a mutated root certificate only while its key is intact (anchors are matched by key)', async () => {
    const root = vector.chain.at(-1)!;
    const spki = Buffer.from(parseCertificate(root).spki);
    const spkiAt = root.indexOf(spki);
    await fc.assert(
      fc.asyncProperty(fc.nat(root.length - 1), fc.nat(7), async (at, bit) => {
        const chain = [...vector.chain.slice(0, -1), mutate(root, { kind: 'flip', at, bit })];
        const outcome = await asyncCategoryOf(() =>
          verifier.verify({ chain, challenge: vector.challenge, at: vector.createdAt }),
        );
        const keyChanged = at >= spkiAt && at < spkiAt + spki.length;
        expect(keyChanged ? ['CONTENT', 'TRUST'] : ['accepted', 'CONTENT']).toContain(outcome);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects random chains as CONTENT', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 5 }), async (chain) => {
        expect(
          await asyncCategoryOf(() => verifier.verify({ chain, challenge: Buffer.from('x'), at: Date.now() })),
        ).toBe('CONTENT');
      }),
      { numRuns: 200 },
    );
  });
});
