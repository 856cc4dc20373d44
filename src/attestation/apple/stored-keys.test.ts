import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rememberAttestedKey, verifyStoredAssertion } from './stored-keys.js';
import type { AppleAttestationResult } from './verify.js';
import type { KeywardError } from '../../errors.js';
import { SimulatedAppleDevice } from '../../simulator/apple/device.js';
import { AppleTestAuthority } from '../../simulator/apple/test-authority.js';
import {
  postgresBackend,
  skipWithoutPostgres,
  sqliteBackend,
  type TestBackend,
} from '../../../test/helpers/backends.js';
import { asyncRejection } from '../../../test/helpers/outcome.js';
import { trustingVerifier } from '../../../test/helpers/apple.js';

const APP_ID = 'ABCDE12345.org.keyward.counter';
const AT = Date.parse('2026-02-01T12:00:00Z');
const CLIENT_DATA = Buffer.from('attest me');

let authority: AppleTestAuthority;
beforeAll(async () => {
  authority = await AppleTestAuthority.create();
});

async function attestedDevice(): Promise<{ device: SimulatedAppleDevice; attestation: AppleAttestationResult }> {
  const device = await SimulatedAppleDevice.create(authority, { appId: APP_ID });
  const attestation = trustingVerifier(authority, { appIds: [APP_ID], environment: 'development' }).verify({
    attestation: await device.attest(CLIENT_DATA, { at: AT }),
    clientData: CLIENT_DATA,
    at: AT,
  });
  return { device, attestation };
}

function describeStoredAssertions(name: string, open: () => Promise<TestBackend>, skip = false): void {
  describe.skipIf(skip)(`App Attest assertions against the key store: ${name}`, () => {
    let backend: TestBackend;
    beforeAll(async () => {
      backend = await open();
    });
    afterAll(async () => {
      await backend?.cleanup();
    });

    it('accepts exactly one of 50 concurrent assertions carrying the same counter', async () => {
      const { device, attestation } = await attestedDevice();
      const store = backend.store.appAttestKeys;
      await rememberAttestedKey(store, attestation, AT);
      const request = Buffer.from('GET /account');
      const assertion = device.assert(request);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 50 }, () =>
          verifyStoredAssertion(store, { keyId: attestation.facts.keyId, assertion, clientData: request, at: AT + 1 }),
        ),
      );
      const accepted = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const rejected = outcomes.flatMap((outcome) =>
        outcome.status === 'rejected' ? [outcome.reason as KeywardError] : [],
      );
      expect(accepted).toHaveLength(1);
      expect(rejected.map((error) => [error.category, error.code])).toEqual(
        Array(49).fill(['TRUST', 'COUNTER_NOT_INCREASING']),
      );
      expect((await store.find(attestation.facts.keyId))?.counter).toBe(1);

      const next = Buffer.from('GET /account/2');
      const verified = await verifyStoredAssertion(store, {
        keyId: attestation.facts.keyId,
        assertion: device.assert(next),
        clientData: next,
        at: AT + 2,
      });
      expect(verified).toMatchObject({ counter: 2, previousCounter: 1, appId: APP_ID });
    });

    it('registers a key once and rejects assertions by unknown keys', async () => {
      const { device, attestation } = await attestedDevice();
      const store = backend.store.appAttestKeys;
      await rememberAttestedKey(store, attestation, AT);
      expect(await asyncRejection(() => rememberAttestedKey(store, attestation, AT))).toMatchObject({
        category: 'CONTENT',
        code: 'KEY_ALREADY_REGISTERED',
        status: 409,
      });
      const stranger = await SimulatedAppleDevice.create(authority, { appId: APP_ID });
      const unknown = await asyncRejection(() =>
        verifyStoredAssertion(store, {
          keyId: stranger.keyId.toString('base64'),
          assertion: stranger.assert(CLIENT_DATA),
          clientData: CLIENT_DATA,
          at: AT,
        }),
      );
      expect(unknown).toMatchObject({ category: 'TRUST', code: 'APP_ATTEST_KEY_UNKNOWN' });
      // A stranger's assertion under a registered key id fails the signature and leaves the counter alone.
      const forged = await asyncRejection(() =>
        verifyStoredAssertion(store, {
          keyId: attestation.facts.keyId,
          assertion: stranger.assert(CLIENT_DATA),
          clientData: CLIENT_DATA,
          at: AT,
        }),
      );
      expect(forged).toMatchObject({ category: 'TRUST', code: 'ASSERTION_SIGNATURE_INVALID' });
      expect((await store.find(attestation.facts.keyId))?.counter).toBe(0);
      expect(
        (
          await verifyStoredAssertion(store, {
            keyId: attestation.facts.keyId,
            assertion: device.assert(CLIENT_DATA),
            clientData: CLIENT_DATA,
            at: AT,
          })
        ).counter,
      ).toBe(1);
    });
  });
}

describeStoredAssertions('SQLite', sqliteBackend);
describeStoredAssertions('PostgreSQL', () => postgresBackend({ poolSize: 20 }), skipWithoutPostgres);
