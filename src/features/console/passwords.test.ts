import { describe, expect, it } from 'vitest';
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords.js';

const b64url = (text: string) => Buffer.from(text).toString('base64url');

// RFC 7914 section 12: scrypt("password", "NaCl", N=1024, r=8, p=16, dkLen=64).
const RFC_7914 = `scrypt$1024$8$16$${b64url('NaCl')}$${Buffer.from(
  'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640',
  'hex',
).toString('base64url')}`;

describe('operator passwords', () => {
  it('encode scrypt N=2^15 r=8 p=1 with a 16-byte random salt and a 32-byte key, and verify', async () => {
    const encoded = await hashPassword('correct horse battery');
    const [scheme, n, r, p, salt, key] = encoded.split('$');
    expect([scheme, n, r, p]).toEqual(['scrypt', '32768', '8', '1']);
    expect(Buffer.from(salt!, 'base64url')).toHaveLength(16);
    expect(Buffer.from(key!, 'base64url')).toHaveLength(32);
    expect(await verifyPassword('correct horse battery', encoded)).toBe(true);
    expect(await verifyPassword('correct horse batterY', encoded)).toBe(false);
    expect(await hashPassword('correct horse battery')).not.toBe(encoded);
  });

  it('read the parameters from the encoding (the RFC 7914 vector verifies)', async () => {
    expect(await verifyPassword('password', RFC_7914)).toBe(true);
    expect(await verifyPassword('passwore', RFC_7914)).toBe(false);
  });

  it('compare passwords in Unicode normalization form C', async () => {
    const encoded = await hashPassword('Gr\u00fc\u00dfe aus K\u00f6ln');
    expect(await verifyPassword('Gru\u0308\u00dfe aus Ko\u0308ln', encoded)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['another scheme', RFC_7914.replace('scrypt$', 'bcrypt$')],
    ['N not a power of two', RFC_7914.replace('$1024$', '$1000$')],
    ['a leading zero', RFC_7914.replace('$1024$', '$01024$')],
    ['r zero', RFC_7914.replace('$8$', '$0$')],
    ['more than 256 MiB', RFC_7914.replace('$1024$', '$1048576$')],
    ['p above 16', RFC_7914.replace('$16$', '$17$')],
    ['a missing field', RFC_7914.slice(0, RFC_7914.lastIndexOf('$'))],
    ['an extra field', `${RFC_7914}$x`],
    ['padding', `${RFC_7914}==`],
    ['a character outside base64url', RFC_7914.replace('$TmFDbA$', '$TmF+bA$')],
    ['a short key', `scrypt$1024$8$1$${b64url('salt')}$${b64url('short')}`],
  ])('verify false for an encoding with %s', async (_, encoded) => {
    expect(await verifyPassword('password', encoded)).toBe(false);
  });

  it('offer a dummy hash with the current parameters that no password verifies against', async () => {
    const parameters = (encoded: string) => encoded.split('$').slice(0, 4);
    expect(parameters(DUMMY_HASH)).toEqual(parameters(await hashPassword('x')));
    expect(Buffer.from(DUMMY_HASH.split('$')[4]!, 'base64url')).toHaveLength(16);
    expect(await verifyPassword('', DUMMY_HASH)).toBe(false);
    expect(await verifyPassword('password', DUMMY_HASH)).toBe(false);
  });
});
