import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isKeywardError } from '../../errors.js';
import {
  type Ceremony,
  NONCE_BYTES,
  ceremonyChallenge,
  ceremonySubject,
  challengeOfClientData,
  readCeremonyChallenge,
} from './ceremony-challenge.js';

const handle = randomBytes(32).toString('base64url');
const registration: Ceremony = {
  kind: 'registration',
  userHandle: handle,
  userVerification: 'required',
  algorithms: [-7, -257, -8, -65535],
};
const usernameless: Ceremony = { kind: 'authentication', userVerification: 'preferred', algorithms: [] };

const codeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return isKeywardError(error) ? error.code : String(error);
  }
  return 'no error';
};

describe('ceremony challenges', () => {
  it('carry the nonce and the ceremony, within the 64 bytes of the conformance profile', () => {
    const nonce = randomBytes(NONCE_BYTES);
    const challenge = ceremonyChallenge(nonce, registration);
    expect(challenge.length).toBeLessThanOrEqual(64);
    const read = readCeremonyChallenge(challenge);
    expect(read.nonce.equals(nonce)).toBe(true);
    // The algorithms come back as a set (in the bit mask's order), the rest as issued.
    expect({ ...read.ceremony, algorithms: [...read.ceremony.algorithms].sort() }).toEqual({
      ...registration,
      algorithms: [...registration.algorithms].sort(),
    });
    expect(ceremonySubject(read.ceremony)).toBe(ceremonySubject(registration));
    expect(readCeremonyChallenge(ceremonyChallenge(nonce, usernameless)).ceremony).toEqual(usernameless);
  });

  it('bind every parameter into the subject', () => {
    const subject = ceremonySubject(registration);
    expect(subject).toBe(`registration:${handle}:uv=required:alg=-65535,-257,-8,-7`);
    expect(ceremonySubject(usernameless)).toBe('authentication:*:uv=preferred:alg=');
    for (const altered of [
      { ...registration, userVerification: 'preferred' as const },
      { ...registration, algorithms: [-7] },
      { ...registration, userHandle: randomBytes(32).toString('base64url') },
      { ...registration, kind: 'authentication' as const },
    ])
      expect(ceremonySubject(altered)).not.toBe(subject);
  });

  it('refuse what cannot be one of them', () => {
    const valid = ceremonyChallenge(randomBytes(NONCE_BYTES), registration);
    expect(codeOf(() => readCeremonyChallenge(randomBytes(32)))).toBe('CEREMONY_CHALLENGE_UNREADABLE');
    expect(codeOf(() => readCeremonyChallenge(valid.subarray(0, valid.length - 1)))).toBe(
      'CEREMONY_CHALLENGE_UNREADABLE',
    );
    const version = Buffer.from(valid);
    version[NONCE_BYTES] = 2;
    expect(codeOf(() => readCeremonyChallenge(version))).toBe('CEREMONY_CHALLENGE_UNREADABLE');
    const kind = Buffer.from(valid);
    kind[NONCE_BYTES + 1] = 7;
    expect(codeOf(() => readCeremonyChallenge(kind))).toBe('CEREMONY_CHALLENGE_UNREADABLE');
    const bits = Buffer.from(valid);
    bits.writeUInt16BE(0x8000, NONCE_BYTES + 3);
    expect(codeOf(() => readCeremonyChallenge(bits))).toBe('CEREMONY_CHALLENGE_UNREADABLE');
  });

  it('are read from clientDataJSON before the rest of it is checked', () => {
    const challenge = randomBytes(40);
    const clientData = Buffer.from(
      JSON.stringify({ type: 'webauthn.get', challenge: challenge.toString('base64url') }),
    );
    expect(challengeOfClientData(clientData).equals(challenge)).toBe(true);
    for (const bad of ['not json', '{"challenge":1}', '{"challenge":"a+b/"}', '{"challenge":"abcde"}', 'null'])
      expect(codeOf(() => challengeOfClientData(Buffer.from(bad)))).toBe('CEREMONY_CHALLENGE_UNREADABLE');
  });
});
