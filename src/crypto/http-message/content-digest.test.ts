import { describe, expect, it } from 'vitest';
import { outcome, rejection } from '../../../test/helpers/outcome.js';
import { contentDigest, verifyContentDigest } from './content-digest.js';

const MISSING = 'CONTENT CONTENT_DIGEST_MISSING';
const MALFORMED = 'CONTENT CONTENT_DIGEST_MALFORMED';
const MISMATCH = 'TRUST CONTENT_DIGEST_MISMATCH';

/** Vectors from RFC 9530 and RFC 9421 (exact bytes; see the test names). */
const VECTORS = [
  {
    name: 'RFC 9530 §2 / B.1: {"hello": "world"} with a trailing LF (19 bytes)',
    body: Buffer.from('{"hello": "world"}\n'),
    sha256: 'sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:',
    sha512: 'sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:',
  },
  {
    name: 'RFC 9421 test-request: {"hello": "world"} without LF (18 bytes)',
    body: Buffer.from('{"hello": "world"}'),
    sha256: 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:',
    sha512: 'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
  },
  {
    name: 'RFC 9421 test-response: {"message": "good dog"} (23 bytes)',
    body: Buffer.from('{"message": "good dog"}'),
    sha256: 'sha-256=:z0bm/K2/kBiAHdTk/FHlB2NyoHqaTdzCA9k+jeJ0ezA=:',
    sha512: 'sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:',
  },
  {
    name: 'RFC 9530 B.2: empty content',
    body: Buffer.alloc(0),
    sha256: 'sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:',
    sha512: 'sha-512=:z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==:',
  },
  {
    name: 'RFC 9530 B.3: partial content "world"} with LF (9 bytes)',
    body: Buffer.from('"world"}\n'),
    sha256: 'sha-256=:jjcgBDWNAtbYUXI37CVG3gRuGOAjaaDRGpIUFsdyepQ=:',
    sha512: undefined,
  },
];

const HELLO_LF = VECTORS[0]!;
const HELLO = VECTORS[1]!;

describe('contentDigest', () => {
  it.each(VECTORS)('computes $name', ({ body, sha256, sha512 }) => {
    expect(contentDigest(body)).toBe(sha256);
    expect(contentDigest(body, 'sha-256')).toBe(sha256);
    if (sha512 !== undefined) expect(contentDigest(body, 'sha-512')).toBe(sha512);
  });

  it('refuses algorithms it does not implement', () => {
    expect(() => contentDigest(HELLO.body, 'md5' as 'sha-256')).toThrow(TypeError);
  });
});

describe('verifyContentDigest', () => {
  it.each(VECTORS)(
    'accepts $name with sha-256, both members, and sha-512 alone when only it is required',
    ({ body, sha256, sha512 }) => {
      expect(outcome(() => verifyContentDigest(sha256, body))).toBe('accepted');
      if (sha512 === undefined) return;
      expect(outcome(() => verifyContentDigest(`${sha256}, ${sha512}`, body))).toBe('accepted');
      // Repeated field lines, as Node.js hands them over, are one combined value.
      expect(outcome(() => verifyContentDigest([sha512, sha256], body, { required: ['sha-256', 'sha-512'] }))).toBe(
        'accepted',
      );
      expect(outcome(() => verifyContentDigest([sha512], body))).toBe(MISSING);
      expect(
        outcome(() => verifyContentDigest(`${sha512},${sha256}`, body, { required: ['sha-256', 'sha-512'] })),
      ).toBe('accepted');
      expect(outcome(() => verifyContentDigest(sha512, body, { required: ['sha-512'] }))).toBe('accepted');
      expect(outcome(() => verifyContentDigest(sha512, body, { required: [] }))).toBe('accepted');
    },
  );

  it('the trailing-LF pitfall: RFC 9530 {"hello": "world"}\\n digests do not match the 18-byte body, and vice versa', () => {
    expect(outcome(() => verifyContentDigest(HELLO_LF.sha256, HELLO.body))).toBe(MISMATCH);
    expect(outcome(() => verifyContentDigest(HELLO.sha256, HELLO_LF.body))).toBe(MISMATCH);
    expect(outcome(() => verifyContentDigest(HELLO_LF.sha512!, HELLO.body, { required: ['sha-512'] }))).toBe(MISMATCH);
  });

  it('checks every known member: a wrong sha-512 next to a right sha-256 is a mismatch', () => {
    expect(outcome(() => verifyContentDigest(`${HELLO.sha256}, ${HELLO_LF.sha512!}`, HELLO.body))).toBe(MISMATCH);
    // RFC 9530 §2 pairs a gzip sha-256 with an identity sha-512: not consistent for either encoding.
    const gzipAndIdentity = `sha-256=:d435Qo+nKZ+gLcUHn7GQtQ72hiBVAgqoLsZnZPiTGPk=:, ${HELLO_LF.sha512!}`;
    expect(outcome(() => verifyContentDigest(gzipAndIdentity, HELLO_LF.body))).toBe(MISMATCH);
  });

  it('a missing header or a missing required algorithm is CONTENT_DIGEST_MISSING', () => {
    expect(outcome(() => verifyContentDigest(undefined, HELLO.body))).toBe(MISSING);
    expect(outcome(() => verifyContentDigest('', HELLO.body))).toBe(MISSING);
    expect(outcome(() => verifyContentDigest(HELLO.sha512, HELLO.body))).toBe(MISSING);
    expect(outcome(() => verifyContentDigest(HELLO.sha256, HELLO.body, { required: ['sha-256', 'sha-512'] }))).toBe(
      MISSING,
    );
    // With no requirement, a field without any supported member still proves nothing.
    expect(
      outcome(() =>
        verifyContentDigest('sha-384=:AAAA:, md5=:XrY7u+Ae7tCTyyK7j1rNww==:', HELLO.body, { required: [] }),
      ),
    ).toBe(MISSING);
  });

  it('ignores unknown and deprecated algorithms, whatever they hold', () => {
    const noise =
      'md5=:XrY7u+Ae7tCTyyK7j1rNww==:, sha=:AAAA:, unixsum=30637, unixcksum=1, adler=?1, crc32c=:AAAAAA==:, sha-3-256=("x")';
    expect(outcome(() => verifyContentDigest(`${noise}, ${HELLO.sha256}`, HELLO.body))).toBe('accepted');
    expect(outcome(() => verifyContentDigest(noise, HELLO.body))).toBe(MISSING);
  });

  it.each([
    ['token instead of a byte sequence', 'sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE='],
    ['string instead of a byte sequence', 'sha-256="X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="'],
    ['inner list', 'sha-256=(:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:)'],
    ['boolean member', 'sha-256'],
    ['sha-256 with 64 bytes', `sha-256=:${Buffer.alloc(64).toString('base64')}:`],
    ['sha-256 of 30 bytes', 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9D:'],
    ['sha-512 with 3 bytes', `${HELLO.sha256}, sha-512=:AAAA:`],
    [
      'duplicate key',
      'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:',
    ],
    ['duplicate key, last one right', 'sha-256=:AAAA:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:'],
    ['trailing comma', 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:,'],
    ['trailing garbage', 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=: x'],
    ['uppercase key', 'SHA-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:'],
    ['base64url character', 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE_:'],
    ['oversized field', `sha-256=:${'A'.repeat(20_000)}:`],
  ])('%s is CONTENT_DIGEST_MALFORMED', (_why, header) => {
    expect(outcome(() => verifyContentDigest(header, HELLO.body))).toBe(MALFORMED);
  });

  it('accepts unpadded base64 and SP/HTAB around "," (RFC 8941), and parameters on members', () => {
    expect(
      outcome(() => verifyContentDigest('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE:', HELLO.body)),
    ).toBe('accepted');
    expect(outcome(() => verifyContentDigest(`md5=:AAAA: ,\t${HELLO.sha256}`, HELLO.body))).toBe('accepted');
    expect(outcome(() => verifyContentDigest(`${HELLO.sha256};x=1`, HELLO.body))).toBe('accepted');
  });

  it('puts the computed and claimed digests in the log-only detail, not in the message', () => {
    const e = rejection(() => verifyContentDigest(HELLO_LF.sha256, HELLO.body));
    expect(e.message).toBe('The content digest does not match the body.');
    expect(e.detail).toContain(HELLO.sha256.slice('sha-256=:'.length, -1));
    expect(e.detail).toContain(HELLO_LF.sha256.slice('sha-256=:'.length, -1));
    expect(e.status).toBe(403);
  });

  it('refuses required algorithms it does not implement (TypeError)', () => {
    expect(() => verifyContentDigest(HELLO.sha256, HELLO.body, { required: ['md5' as 'sha-256'] })).toThrow(TypeError);
  });
});
