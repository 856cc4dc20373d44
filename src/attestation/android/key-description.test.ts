import { describe, expect, it } from 'vitest';
import { parseCertificate } from '../../crypto/x509/certificate.js';
import * as der from '../../crypto/asn1/der-writer.js';
import { outcome } from '../../../test/helpers/outcome.js';
import { androidChain, androidVectors } from '../../../test/helpers/vectors.js';
import { KEY_DESCRIPTION_OID } from './constants.js';
import { parseKeyDescription, type KeyDescription } from './key-description.js';

const recordOf = (chainDer: Buffer) => parseCertificate(chainDer).extension(KEY_DESCRIPTION_OID)!.value;

/** Google's decodings write every integer as a decimal string; ours are numbers. Compare as strings. */
function asGoogleWrites(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asGoogleWrites);
  if (typeof value === 'number') return String(value);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, asGoogleWrites(child)]));
  return value;
}

function comparable(record: KeyDescription) {
  const { quirks: _quirks, ...rest } = record;
  return asGoogleWrites(rest);
}

function expected(decoded: any) {
  const copy = structuredClone(decoded);
  for (const list of [copy.softwareEnforced, copy.hardwareEnforced]) delete list?.areTagsOrdered;
  return copy;
}

describe('KeyDescription decoding against Google’s own decodings', () => {
  const vectors = androidVectors();

  it('covers every vector chain', () => {
    expect(vectors.length).toBe(21);
  });

  for (const vector of vectors) {
    it(`decodes ${vector.name} field by field`, () => {
      const record = parseKeyDescription(recordOf(vector.chain[0]!));
      expect(comparable(record)).toEqual(expected(vector.decoded));
      for (const list of ['softwareEnforced', 'hardwareEnforced'] as const) {
        if (vector.decoded[list]?.areTagsOrdered !== undefined) {
          expect(record.quirks.includes('tags-not-in-ascending-order')).toBe(!vector.decoded[list].areTagsOrdered);
        }
      }
    });
  }
});

describe('KeyDescription quirks (decided: accept and report; strictEncoding rejects)', () => {
  it('accepts authorization-list tags out of ascending order, and rejects them when strict', () => {
    const extension = recordOf(
      androidChain('android/keyattestation/testdata/invalid/tags_not_in_ascending_order.pem')[0]!,
    );
    const record = parseKeyDescription(extension);
    expect(record.quirks).toEqual(['tags-not-in-ascending-order']);
    expect(record.hardwareEnforced.purposes).toEqual([2]);
    expect(record.hardwareEnforced.algorithms).toBe(3);
    expect(outcome(() => parseKeyDescription(extension, { strict: true }))).toBe(
      'CONTENT KEY_DESCRIPTION_NOT_STRICT_DER',
    );
  });

  it('reads deviceLocked written as BER TRUE (0x01) as locked, and rejects it when strict', () => {
    const extension = recordOf(
      androidChain('android/keyattestation/testdata/invalid/malformed_rot_device_locked.pem')[0]!,
    );
    const record = parseKeyDescription(extension);
    expect(record.quirks).toEqual(['non-der-boolean']);
    expect(record.hardwareEnforced.rootOfTrust).toMatchObject({ deviceLocked: true, verifiedBootState: 'VERIFIED' });
    expect(outcome(() => parseKeyDescription(extension, { strict: true }))).toBe(
      'CONTENT KEY_DESCRIPTION_NOT_STRICT_DER',
    );
  });

  it('decodes allowWhileOnBody', () => {
    const record = parseKeyDescription(
      recordOf(androidChain('android/keyattestation/testdata/allow_while_on_body.pem')[0]!),
    );
    expect(record.softwareEnforced.allowWhileOnBody ?? record.hardwareEnforced.allowWhileOnBody).toBe(true);
  });
});

describe('KeyDescription structure', () => {
  const list = (...tags: Buffer[]) => der.sequence(...tags);
  const description = (hardware: Buffer, trailing: Buffer[] = []) =>
    der.sequence(
      der.integer(400),
      der.enumerated(1),
      der.integer(400),
      der.enumerated(1),
      der.octetString(Buffer.from('c')),
      der.octetString(Buffer.alloc(0)),
      list(),
      hardware,
      ...trailing,
    );

  it('decodes identityCredentialKey (721) and keeps unknown tags raw', () => {
    const record = parseKeyDescription(
      description(list(der.explicit(721, der.nullValue()), der.explicit(9999, der.integer(5)))),
    );
    expect(record.hardwareEnforced.identityCredentialKey).toBe(true);
    expect(record.hardwareEnforced.unknownTags).toEqual({ '9999': der.integer(5).toString('base64') });
  });

  it('keeps integers beyond 2^53 exact as decimal strings', () => {
    const record = parseKeyDescription(description(list(der.explicit(502, der.setOf(der.integer(2n ** 63n - 1n))))));
    expect(record.hardwareEnforced.userSecureIds).toEqual(['9223372036854775807']);
  });

  it('rejects duplicate tags, wrong inner types, trailing data and unknown enumerations', () => {
    expect(
      outcome(() =>
        parseKeyDescription(description(list(der.explicit(705, der.integer(1)), der.explicit(705, der.integer(2))))),
      ),
    ).toBe('CONTENT MALFORMED_KEY_DESCRIPTION');
    expect(
      outcome(() => parseKeyDescription(description(list(der.explicit(705, der.octetString(Buffer.of(1))))))),
    ).toBe('CONTENT MALFORMED_KEY_DESCRIPTION');
    expect(outcome(() => parseKeyDescription(description(list(), [der.integer(1)])))).toBe(
      'CONTENT MALFORMED_KEY_DESCRIPTION',
    );
    expect(outcome(() => parseKeyDescription(Buffer.concat([description(list()), Buffer.of(0)])))).toBe(
      'CONTENT MALFORMED_KEY_DESCRIPTION',
    );
    const badLevel = der.sequence(
      der.integer(400),
      der.enumerated(7),
      der.integer(400),
      der.enumerated(1),
      der.octetString(Buffer.alloc(1)),
      der.octetString(Buffer.alloc(0)),
      list(),
      list(),
    );
    expect(outcome(() => parseKeyDescription(badLevel))).toBe('CONTENT MALFORMED_KEY_DESCRIPTION');
    expect(outcome(() => parseKeyDescription(Buffer.alloc(0)))).toBe('CONTENT MALFORMED_KEY_DESCRIPTION');
  });
});
