import { encode } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { isKeywardError } from '../../errors.js';
import { decodeStrictCbor } from './cbor.js';
import { coseMac0FromCbor, macCoseMac0, verifyCoseMac0 } from './mac0.js';

const key = new Uint8Array(32).fill(7);
const payload = new TextEncoder().encode('payload');
const decodeMac0 = (bytes: Uint8Array) => coseMac0FromCbor(decodeStrictCbor(bytes, 'COSE_MAC0_MALFORMED', 'COSE_Mac0'));

describe('COSE_Mac0 HMAC 256/256', () => {
  it('verifies attached and detached', () => {
    expect(verifyCoseMac0(decodeMac0(macCoseMac0({ payload, key })), key)).toBe(true);
    const detached = decodeMac0(macCoseMac0({ payload, key, detached: true }));
    expect(detached.payload).toBeNull();
    expect(verifyCoseMac0(detached, key, { detachedPayload: payload })).toBe(true);
    expect(verifyCoseMac0(detached, new Uint8Array(32), { detachedPayload: payload })).toBe(false);
    expect(verifyCoseMac0(detached, key, { detachedPayload: Buffer.from('x') })).toBe(false);
  });

  it('refuses other algorithms and malformed structures', () => {
    const other = decodeMac0(encode([new Uint8Array([0xa1, 0x01, 0x06]), new Map(), payload, new Uint8Array(32)]));
    try {
      verifyCoseMac0(other, key);
      expect.unreachable();
    } catch (error) {
      expect(isKeywardError(error) && error.code).toBe('COSE_ALGORITHM_UNSUPPORTED');
    }
    expect(() => decodeMac0(encode([new Uint8Array(0), new Map(), payload]))).toThrow(/COSE_Mac0 is malformed/);
  });
});
