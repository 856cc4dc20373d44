import { encode } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { expectRejection } from '../../../test/helpers/outcome.js';
import { authenticatorData, bstr, credential } from '../../../test/webauthn/credentials.js';
import { decodeAttestationObject } from './attestation-object.js';
import { FLAGS } from './types.js';

const authData = () => authenticatorData({ flags: FLAGS.UP | FLAGS.AT, publicKey: credential('ES256').cose });
const object = (entries: [unknown, unknown][]) => encode(new Map(entries));
const standard = (): [unknown, unknown][] => [
  ['fmt', 'packed'],
  ['attStmt', new Map<string, unknown>([['alg', -7]])],
  ['authData', bstr(authData())],
];
const malformed = (bytes: Uint8Array) =>
  expectRejection(() => decodeAttestationObject(bytes), 'CONTENT', 'ATTESTATION_OBJECT_MALFORMED');

describe('decodeAttestationObject', () => {
  it('decodes fmt, attStmt and authData, the latter parsed over the bytes received', () => {
    const bytes = object(standard());
    const decoded = decodeAttestationObject(bytes);
    expect(decoded.fmt).toBe('packed');
    expect(decoded.attStmt).toEqual(new Map([['alg', -7]]));
    expect(Buffer.from(decoded.authData.raw)).toEqual(authData());
    expect(decoded.authData.raw.buffer).toBe(bytes.buffer);
    expect(decoded.authData.attested.publicKey.alg).toBe(-7);
  });

  it('ignores keys beyond the three, in any order', () => {
    const decoded = decodeAttestationObject(object([['epAtt', true], ...standard().reverse(), [1, 2]]));
    expect(decoded.fmt).toBe('packed');
  });

  it('refuses a registration without attested credential data', () => {
    expectRejection(
      () =>
        decodeAttestationObject(
          object([
            ['fmt', 'none'],
            ['attStmt', new Map()],
            ['authData', bstr(authenticatorData({ flags: FLAGS.UP }))],
          ]),
        ),
      'CONTENT',
      'ATTESTED_CREDENTIAL_MISSING',
    );
  });

  it('refuses missing or mistyped members', () => {
    const without = (key: string) => object(standard().filter(([name]) => name !== key));
    const replaced = (key: string, value: unknown) =>
      object(standard().map(([name, old]) => [name, name === key ? value : old]));
    malformed(without('fmt'));
    malformed(without('attStmt'));
    malformed(without('authData'));
    malformed(replaced('fmt', ''));
    malformed(replaced('fmt', 1));
    malformed(replaced('attStmt', [1]));
    malformed(replaced('attStmt', 'statement'));
    malformed(replaced('authData', 'bytes'));
  });

  it('refuses what is not one CBOR map', () => {
    malformed(encode([standard()]));
    malformed(Buffer.concat([object(standard()), Buffer.of(0)]));
    malformed(object(standard()).subarray(0, 50));
    malformed(new Uint8Array(0));
  });

  it('passes malformed authenticator data on with its own code', () => {
    expectRejection(
      () =>
        decodeAttestationObject(
          object([
            ['fmt', 'none'],
            ['attStmt', new Map()],
            ['authData', bstr(Buffer.concat([authData(), Buffer.of(0)]))],
          ]),
        ),
      'CONTENT',
      'AUTHENTICATOR_DATA_MALFORMED',
    );
  });
});
