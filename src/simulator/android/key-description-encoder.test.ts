import { describe, expect, it } from 'vitest';
import { parseKeyDescription } from '../../attestation/android/key-description.js';
import { nullValue } from '../../crypto/asn1/der-writer.js';
import { encodeKeyDescription } from './key-description-encoder.js';

const AT = Date.UTC(2026, 11, 3);
const challenge = new Uint8Array(32);

describe('simulated KeyDescription: identityCredentialKey (tag 721)', () => {
  it('is absent by default', () => {
    const record = parseKeyDescription(encodeKeyDescription({ challenge }, AT), { strict: true });
    expect(record.hardwareEnforced.identityCredentialKey).toBeUndefined();
    expect(record.softwareEnforced.identityCredentialKey).toBeUndefined();
  });

  it('is hardware-enforced when asked for, in strict DER (tags in ascending order)', () => {
    const record = parseKeyDescription(encodeKeyDescription({ challenge, identityCredentialKey: true }, AT), {
      strict: true,
    });
    expect(record.hardwareEnforced.identityCredentialKey).toBe(true);
    expect(record.hardwareEnforced.unknownTags).toBeUndefined();
  });

  it('is written once when also given as an extra hardware tag', () => {
    const der = encodeKeyDescription(
      { challenge, identityCredentialKey: true, extraHardwareTags: { 721: nullValue() } },
      AT,
    );
    expect(parseKeyDescription(der, { strict: true }).hardwareEnforced.identityCredentialKey).toBe(true);
  });
});
