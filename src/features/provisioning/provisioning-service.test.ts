import { randomUUID, X509Certificate } from 'node:crypto';
import { encode } from 'cbor2';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { androidVerifier } from '../../../test/helpers/android.js';
import { sqliteBackend, type TestBackend } from '../../../test/helpers/backends.js';
import { verifyMdoc } from '../../attestation/mdoc/verify.js';
import type { AndroidVerifier } from '../../attestation/android/verify.js';
import { FixedClock } from '../../clock.js';
import { decodeStrictCbor } from '../../crypto/cose/cbor.js';
import { TrustAnchors } from '../../crypto/x509/chain.js';
import type { MdocRecordStore } from '../../store/provisioning-store.js';
import { AndroidDeviceSimulator } from '../../simulator/android/device.js';
import { erika, MDL, MDL_NS } from '../../simulator/provisioning/contract/fixtures.js';
import { SimulatedIdentityCredentialHolder } from '../../simulator/provisioning/holder.js';
import * as requests from '../../simulator/provisioning/request-messages.js';
import type { HolderVariants } from '../../simulator/provisioning/variants.js';
import { encodeDocumentData } from './document-data.js';
import { issueDocumentSigner } from './issuer/document-signer.js';
import { generateIaca } from './issuer/iaca.js';
import type { DocumentSigner } from './issuer/issuer-ca-directory.js';
import { credentialKeyFingerprint } from './protocol/credential-key.js';
import { RESPONSE } from './protocol/message-types.js';
import {
  type ProvisioningOutcome,
  type ProvisioningReply,
  ProvisioningService,
  type ProvisioningSettings,
} from './provisioning-service.js';

const DAY = 86_400_000;
const START = Date.now();

const SETTINGS: ProvisioningSettings = {
  sessionTtlSeconds: 300,
  maxAuthKeys: 3,
  mdocValidityDays: 30,
  requireIdentityCredentialKey: true,
  allowTestCredential: false,
};

let device: AndroidDeviceSimulator;
let verifier: AndroidVerifier;
let signer: DocumentSigner;
let anchors: TrustAnchors;

beforeAll(async () => {
  device = await AndroidDeviceSimulator.create({ root: 'generated', at: START });
  verifier = androidVerifier({}, TrustAnchors.fromPem(device.rootPem, 'simulated android root'));
  const iaca = generateIaca(
    { country: 'DE', organization: 'Keyward Test Issuer', crlUrl: 'https://issuer.example/crl/iaca.crl' },
    START - DAY,
  );
  const documentSigner = issueDocumentSigner(iaca, {}, START - DAY);
  signer = { iaca: iaca.certificate, certificate: documentSigner.certificate, key: documentSigner.key };
  anchors = new TrustAnchors(TrustAnchors.fromPem(new X509Certificate(iaca.certificate.der).toString(), 'test IACA'));
});

interface World {
  backend: TestBackend;
  records: MdocRecordStore;
  clock: FixedClock;
  service: ProvisioningService;
  events: ProvisioningOutcome[];
  /** Every reply of the service, in order. */
  replies: ProvisioningReply[];
  documentId: string;
  holder: (variants?: HolderVariants, authKeyCount?: number) => Promise<SimulatedIdentityCredentialHolder>;
  exchange: (request: Uint8Array) => Promise<Uint8Array>;
  /** Runs a flow; its end and the code of its last reply. */
  run: (
    holder: SimulatedIdentityCredentialHolder,
    first: Uint8Array,
  ) => Promise<{ reason: string; code: string | undefined; updateResult?: string }>;
  serviceWith: (settings: Partial<ProvisioningSettings>) => ProvisioningService;
}

let world: World;

beforeEach(async () => {
  const backend = await sqliteBackend();
  const records = backend.store.mdocRecords;
  const clock = new FixedClock(START);
  const events: ProvisioningOutcome[] = [];
  const replies: ProvisioningReply[] = [];
  const personId = randomUUID();
  const documentId = randomUUID();
  await records.addPerson({ id: personId, name: 'Erika Mustermann', createdAt: START });
  await records.addDocument({
    id: documentId,
    personId,
    docType: MDL,
    data: encodeDocumentData(erika()),
    dataTimestamp: START - DAY,
    status: 'active',
    createdAt: START - DAY,
    updatedAt: START - DAY,
  });
  const addCode = (code: string, expiresAt = START + DAY, createdAt = START - DAY) =>
    records.addCode({ code, documentId, createdAt, expiresAt });
  await addCode('1001');
  await addCode('1002', START - 1000, START - 2 * DAY);
  await addCode('1003');
  await records.revokeCode('1003', START - 1000);
  await addCode('1004');
  const serviceWith = (settings: Partial<ProvisioningSettings>) =>
    new ProvisioningService({
      clock,
      records,
      sessions: backend.store.provisioningSessions,
      android: { verifier, policy: verifier.options.policy },
      signer,
      settings: { ...SETTINGS, ...settings },
      onOutcome: (event) => events.push(event),
    });
  const partial: Omit<World, 'exchange' | 'run'> = {
    backend,
    records,
    clock,
    service: serviceWith({}),
    events,
    replies,
    documentId,
    serviceWith,
    holder: (variants = {}, authKeyCount = 1) =>
      SimulatedIdentityCredentialHolder.create({ device, now: () => clock.now(), variants, authKeyCount }),
  };
  const exchange = async (request: Uint8Array) => {
    const reply = await world.service.handle(request);
    replies.push(reply);
    return reply.reply;
  };
  world = {
    ...partial,
    exchange,
    run: async (holder, first) => {
      const end = await holder.converse(first, exchange);
      return {
        reason: end.reason,
        code: replies.at(-1)?.code,
        ...(end.updateResult ? { updateResult: end.updateResult } : {}),
      };
    },
  };
});

afterEach(async () => {
  await world.backend.cleanup();
});

const decoded = (bytes: Uint8Array) =>
  decodeStrictCbor(bytes, 'PROVISIONING_MALFORMED_CBOR', 'reply', { maxDepth: 16 }) as Map<string, unknown>;

/** The reply is EndSessionMessage Failed (with eSessionId when `sessionId`). */
function expectFailed(reply: ProvisioningReply, code: string, sessionId?: string) {
  expect(reply.code).toBe(code);
  const message = decoded(reply.reply);
  expect(message.get('messageType')).toBe(RESPONSE.endSession);
  expect(message.get('reason')).toBe('Failed');
  expect(message.get('eSessionId')).toBe(sessionId);
}

async function codeState(code: string) {
  return (await world.records.codeState(code, world.clock.now())).state;
}

async function configuredCount() {
  return (await world.records.configuredForDocument(world.documentId)).length;
}

/** A holder with a provisioned credential (code 1001). */
async function provisioned(variants: HolderVariants = {}, authKeyCount = 1) {
  const holder = await world.holder(variants, authKeyCount);
  expect(await world.run(holder, holder.startProvisioning('1001'))).toEqual({ reason: 'Success', code: undefined });
  return holder;
}

const fingerprintOf = (holder: SimulatedIdentityCredentialHolder) =>
  credentialKeyFingerprint(holder.credential(MDL).credentialKey.publicKey);

describe('ProvisioningService over SQLite, with the simulated holder', () => {
  it('runs provisioning, certify, update and delete end to end, issuing mdocs that verify against the IACA', async () => {
    const holder = await world.holder({}, 2);
    expect(await world.run(holder, holder.startProvisioning('1001'))).toEqual({ reason: 'Success', code: undefined });
    expect(await codeState('1001')).toBe('used');
    const fingerprint = fingerprintOf(holder);
    const configured = await world.records.configured(fingerprint);
    expect(configured).toMatchObject({ documentId: world.documentId, dataTimestamp: START - DAY });
    expect(world.events.map((event) => event.outcome)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(world.events.at(-1)).toMatchObject({ flow: 'provisioning', docType: MDL, ended: true });

    // Certify two auth keys: one mdoc each, endorsed, presentable.
    expect((await world.run(holder, holder.certifyAuthKeys(MDL))).reason).toBe('Success');
    expect(await world.records.authKeys(fingerprint)).toHaveLength(2);
    const presentation = holder.present(MDL, { authKey: 1 });
    const verified = verifyMdoc(presentation.deviceResponse, {
      anchors,
      at: world.clock.now(),
      sessionTranscript: presentation.sessionTranscript,
    });
    expect(verified.documents[0]).toMatchObject({ docType: MDL, deviceAuth: 'signature' });
    expect(verified.documents[0]!.namespaces[MDL_NS]).toMatchObject({ family_name: 'Mustermann', given_name: 'Erika' });

    // Update: nothing changed, then the operator changes the data.
    expect(await world.run(holder, holder.updateCredential(MDL))).toMatchObject({
      reason: 'Success',
      updateResult: 'no_update',
    });
    world.clock.advance(1000);
    const changed = erika('Erika Maria');
    await world.records.updateDocumentData(world.documentId, encodeDocumentData(changed), world.clock.now());
    // Certifying outdated data is refused until the holder updates.
    expect(await world.run(holder, holder.certifyAuthKeys(MDL, 1))).toEqual({
      reason: 'Failed',
      code: 'PROVISIONING_CREDENTIAL_OUTDATED',
    });
    expect(await world.run(holder, holder.updateCredential(MDL))).toMatchObject({
      reason: 'Success',
      updateResult: 'update',
    });
    const updated = await world.records.configured(fingerprint);
    expect(updated!.dataTimestamp).toBe(world.clock.now());
    expect(Buffer.from(updated!.proofOfProvisioningSha256)).not.toEqual(
      Buffer.from(configured!.proofOfProvisioningSha256),
    );
    expect(await world.records.authKeys(fingerprint)).toEqual([]);

    // Certify again: the new data, bound to the new proof.
    expect((await world.run(holder, holder.certifyAuthKeys(MDL, 1))).reason).toBe('Success');
    const after = holder.present(MDL);
    expect(
      verifyMdoc(after.deviceResponse, { anchors, at: world.clock.now(), sessionTranscript: after.sessionTranscript })
        .documents[0]!.namespaces[MDL_NS],
    ).toMatchObject({ given_name: 'Erika Maria' });

    // Delete.
    expect((await world.run(holder, holder.deleteCredential(MDL))).reason).toBe('Success');
    expect(await world.records.configured(fingerprint)).toBeUndefined();
    expect(await world.records.authKeys(fingerprint)).toEqual([]);
    expect(holder.credentials.has(MDL)).toBe(false);

    // A document marked for deletion: UpdateCredential answers delete, and the credential goes.
    const again = await world.holder();
    expect((await world.run(again, again.startProvisioning('1004'))).reason).toBe('Success');
    const againFingerprint = fingerprintOf(again);
    await world.records.markDocumentForDeletion(world.documentId, world.clock.now());
    expect(await world.run(again, again.certifyAuthKeys(MDL))).toEqual({
      reason: 'Failed',
      code: 'PROVISIONING_DOCUMENT_WITHDRAWN',
    });
    expect(await world.run(again, again.updateCredential(MDL))).toMatchObject({
      reason: 'Success',
      updateResult: 'delete',
    });
    expect(await world.records.configured(againFingerprint)).toBeUndefined();
    expect(again.credentials.has(MDL)).toBe(false);
    expect(await configuredCount()).toBe(0);
  });

  it('keeps a session across a restart: another service instance over the same store continues it', async () => {
    const holder = await world.holder();
    let step = await holder.receive(await world.exchange(holder.startProvisioning('1001')));
    step = await holder.receive(await world.exchange(step.request!));
    world.service = world.serviceWith({});
    const end = await holder.converse(step.request!, world.exchange);
    expect(end.reason).toBe('Success');
    expect(await configuredCount()).toBe(1);
  });

  it('writes once when the same final message arrives twice at the same time', async () => {
    const holder = await world.holder();
    let step = await holder.receive(await world.exchange(holder.startProvisioning('1001')));
    step = await holder.receive(await world.exchange(step.request!));
    step = await holder.receive(await world.exchange(step.request!));
    const final = step.request!;
    const results = await Promise.all([world.service.handle(final), world.service.handle(final)]);
    expect(results.filter((result) => result.code === undefined)).toHaveLength(1);
    expect(['PROVISIONING_SESSION_CONFLICT', 'PROVISIONING_SESSION_UNKNOWN']).toContain(
      results.find((result) => result.code !== undefined)!.code,
    );
    expect(await codeState('1001')).toBe('used');
    expect(await configuredCount()).toBe(1);
  });

  it('fails a message that loses the compare-and-set on its session, writing nothing', async () => {
    const sessions = world.backend.store.provisioningSessions;
    let lose = false;
    world.service = new ProvisioningService({
      clock: world.clock,
      records: world.records,
      sessions: {
        ...sessions,
        create: (session) => sessions.create(session),
        get: (id, now) => sessions.get(id, now),
        delete: (id) => sessions.delete(id),
        purgeExpired: (now) => sessions.purgeExpired(now),
        update: async (id, version, next) => {
          if (lose && next.step === 'ended') await sessions.update(id, version, next);
          return sessions.update(id, version, next);
        },
      },
      android: { verifier, policy: verifier.options.policy },
      signer,
      settings: SETTINGS,
    });
    const holder = await world.holder();
    let step = await holder.receive(await world.exchange(holder.startProvisioning('1001')));
    step = await holder.receive(await world.exchange(step.request!));
    step = await holder.receive(await world.exchange(step.request!));
    lose = true;
    const reply = await world.service.handle(step.request!);
    expectFailed(reply, 'PROVISIONING_SESSION_CONFLICT', reply.sessionId);
    expect(await codeState('1001')).toBe('usable');
    expect(await configuredCount()).toBe(0);
    expect(await sessions.get(reply.sessionId!, world.clock.now())).toBeUndefined();
  });

  it('answers Failed with PROVISIONING_INTERNAL when the store fails, reporting the error and ending the session', async () => {
    const holder = await provisioned();
    const failure = new Error('disk full');
    const records: MdocRecordStore = Object.create(world.records);
    records.endorseAuthKeys = async () => {
      throw failure;
    };
    const events: ProvisioningOutcome[] = [];
    world.service = new ProvisioningService({
      clock: world.clock,
      records,
      sessions: world.backend.store.provisioningSessions,
      android: { verifier, policy: verifier.options.policy },
      signer,
      settings: SETTINGS,
      onOutcome: (event) => events.push(event),
    });
    expect(await world.run(holder, holder.certifyAuthKeys(MDL))).toEqual({
      reason: 'Failed',
      code: 'PROVISIONING_INTERNAL',
    });
    expect(events.at(-1)).toMatchObject({ flow: 'certify', outcome: 'PROVISIONING_INTERNAL', error: failure });
    const sessionId = world.replies.at(-1)!.sessionId!;
    expect(await world.backend.store.provisioningSessions.get(sessionId, world.clock.now())).toBeUndefined();
    expect(await world.records.authKeys(fingerprintOf(holder))).toEqual([]);
  });
});

describe('ProvisioningService refusals: EndSessionMessage Failed, the code reported, nothing written', () => {
  it.each([
    ['9999', 'PROVISIONING_CODE_UNKNOWN'],
    ['1002', 'PROVISIONING_CODE_EXPIRED'],
    ['1003', 'PROVISIONING_CODE_REVOKED'],
  ])('refuses provisioning code %s: %s', async (code, expected) => {
    const holder = await world.holder();
    expect(await world.run(holder, holder.startProvisioning(code))).toEqual({ reason: 'Failed', code: expected });
    expectFailed(world.replies.at(-1)!, expected);
    expect(world.events.at(-1)).toMatchObject({ flow: 'provisioning', outcome: expected, ended: true });
    expect(await configuredCount()).toBe(0);
  });

  it('refuses a used code', async () => {
    await provisioned();
    const second = await world.holder();
    expect(await world.run(second, second.startProvisioning('1001'))).toEqual({
      reason: 'Failed',
      code: 'PROVISIONING_CODE_USED',
    });
    expect(await configuredCount()).toBe(1);
  });

  it.each([
    [{ identityCredentialKey: false }, 'PROVISIONING_NOT_IDENTITY_CREDENTIAL_KEY'],
    [{ attestationChallenge: 'wrong' }, 'PROVISIONING_CREDENTIAL_KEY_CHALLENGE_MISMATCH'],
    [{ proofOfProvisioningData: 'different' }, 'PROVISIONING_PROOF_DATA_MISMATCH'],
    [{ testCredential: true }, 'PROVISIONING_TEST_CREDENTIAL'],
    [{ credentialKey: 'foreign-signing' }, 'PROVISIONING_PROOF_SIGNATURE_INVALID'],
  ] as [HolderVariants, string][])('refuses provisioning by a holder with %o: %s', async (variants, expected) => {
    const holder = await world.holder(variants);
    expect(await world.run(holder, holder.startProvisioning('1001'))).toEqual({ reason: 'Failed', code: expected });
    const last = world.replies.at(-1)!;
    expectFailed(last, expected, last.sessionId);
    expect(last.sessionId).toBeDefined();
    expect(await codeState('1001')).toBe('usable');
    expect(await configuredCount()).toBe(0);
  });

  it('accepts a CredentialKey without tag 721 only when configured so', async () => {
    world.service = world.serviceWith({ requireIdentityCredentialKey: false });
    await provisioned({ identityCredentialKey: false });
    expect(await configuredCount()).toBe(1);
  });

  it('refuses a proof of ownership over another challenge, in every flow', async () => {
    const holder = await provisioned();
    const before = await world.records.configured(fingerprintOf(holder));
    holder.variants = { proofChallenge: 'wrong' };
    for (const first of [
      () => holder.certifyAuthKeys(MDL),
      () => holder.updateCredential(MDL),
      () => holder.deleteCredential(MDL),
    ]) {
      expect(await world.run(holder, first())).toEqual({
        reason: 'Failed',
        code: 'PROVISIONING_PROOF_CHALLENGE_MISMATCH',
      });
    }
    expect(await world.records.configured(fingerprintOf(holder))).toEqual(before);
    expect(await world.records.authKeys(fingerprintOf(holder))).toEqual([]);
  });

  it('refuses a deletion proof over a wrong challenge, and an empty one when required', async () => {
    const holder = await provisioned();
    holder.variants = { deletionChallenge: 'wrong' };
    expect(await world.run(holder, holder.deleteCredential(MDL))).toEqual({
      reason: 'Failed',
      code: 'PROVISIONING_PROOF_CHALLENGE_MISMATCH',
    });
    world.service = world.serviceWith({ requireDeletionChallenge: true });
    holder.variants = {};
    expect(await world.run(holder, holder.deleteCredential(MDL))).toEqual({
      reason: 'Failed',
      code: 'PROVISIONING_PROOF_CHALLENGE_MISMATCH',
    });
    expect(await configuredCount()).toBe(1);
    holder.variants = { deletionChallenge: 'included' };
    expect((await world.run(holder, holder.deleteCredential(MDL))).reason).toBe('Success');
    expect(await configuredCount()).toBe(0);
  });

  it.each([
    ['foreign-announced', 'PROVISIONING_CREDENTIAL_UNKNOWN'],
    ['foreign-signing', 'PROVISIONING_PROOF_SIGNATURE_INVALID'],
  ] as const)('refuses update and delete with a %s CredentialKey: %s', async (variant, expected) => {
    const holder = await provisioned();
    const before = await world.records.configured(fingerprintOf(holder));
    holder.variants = { credentialKey: variant };
    for (const first of [() => holder.updateCredential(MDL), () => holder.deleteCredential(MDL)]) {
      expect(await world.run(holder, first())).toEqual({ reason: 'Failed', code: expected });
    }
    expect(await world.records.configured(fingerprintOf(holder))).toEqual(before);
    if (variant === 'foreign-announced') expect(world.replies.at(-1)!.sessionId).toBeUndefined();
  });

  it.each([
    ['none', 'PROVISIONING_PROOF_OF_BINDING_MISSING'],
    ['wrong-hash', 'PROVISIONING_PROOF_OF_BINDING_MISMATCH'],
  ] as const)('refuses auth-key certificates with ProofOfBinding %s: %s', async (proofOfBinding, expected) => {
    const holder = await provisioned();
    holder.variants = { proofOfBinding };
    expect(await world.run(holder, holder.certifyAuthKeys(MDL, 2))).toEqual({ reason: 'Failed', code: expected });
    expect(await world.records.authKeys(fingerprintOf(holder))).toEqual([]);
  });

  it('refuses more auth keys than the quota', async () => {
    const holder = await provisioned();
    expect(await world.run(holder, holder.certifyAuthKeys(MDL, SETTINGS.maxAuthKeys + 1))).toEqual({
      reason: 'Failed',
      code: 'PROVISIONING_TOO_MANY_AUTH_KEYS',
    });
    expect(await world.records.authKeys(fingerprintOf(holder))).toEqual([]);
    expect((await world.run(holder, holder.certifyAuthKeys(MDL, SETTINGS.maxAuthKeys))).reason).toBe('Success');
  });

  it('refuses a message in an expired session', async () => {
    const holder = await world.holder();
    const step = await holder.receive(await world.exchange(holder.startProvisioning('1001')));
    world.clock.advance(SETTINGS.sessionTtlSeconds * 1000 + 1);
    const reply = await world.service.handle(step.request!);
    expectFailed(reply, 'PROVISIONING_SESSION_UNKNOWN', reply.sessionId);
    expect(reply.sessionId).toBe(world.replies[0]!.sessionId);
    expect(await codeState('1001')).toBe('usable');
  });

  it('refuses an out-of-order message and ends its session', async () => {
    const holder = await world.holder();
    const step = await holder.receive(await world.exchange(holder.startProvisioning('1001')));
    const sessionId = world.replies[0]!.sessionId!;
    const early = await world.service.handle(requests.requestEndSession(sessionId));
    expectFailed(early, 'PROVISIONING_MESSAGE_OUT_OF_ORDER', sessionId);
    const next = await world.service.handle(step.request!);
    expectFailed(next, 'PROVISIONING_SESSION_UNKNOWN', sessionId);
    expect(await codeState('1001')).toBe('usable');
  });

  it('refuses a message for a session that never existed', async () => {
    const reply = await world.service.handle(requests.androidStartProvisioning('no-such-session'));
    expectFailed(reply, 'PROVISIONING_SESSION_UNKNOWN', 'no-such-session');
  });

  it('refuses malformed CBOR and an unknown message type, with no session id to echo', async () => {
    const malformed = await world.service.handle(new Uint8Array([0xa1, 0x6b, 0x6d, 0x65]));
    expectFailed(malformed, 'PROVISIONING_MALFORMED_CBOR');
    const unknown = await world.service.handle(encode(new Map([['messageType', 'com.example.Nonsense']])));
    expectFailed(unknown, 'PROVISIONING_UNKNOWN_MESSAGE_TYPE');
    expect(world.events.map((event) => event.outcome)).toEqual([
      'PROVISIONING_MALFORMED_CBOR',
      'PROVISIONING_UNKNOWN_MESSAGE_TYPE',
    ]);
  });

  it('ends the session a malformed message names', async () => {
    const holder = await world.holder();
    const step = await holder.receive(await world.exchange(holder.startProvisioning('1001')));
    const sessionId = world.replies[0]!.sessionId!;
    const bad = await world.service.handle(
      encode(
        new Map<string, unknown>([
          ['messageType', 'com.example.Nonsense'],
          ['eSessionId', sessionId],
        ]),
      ),
    );
    expectFailed(bad, 'PROVISIONING_UNKNOWN_MESSAGE_TYPE', sessionId);
    expectFailed(await world.service.handle(step.request!), 'PROVISIONING_SESSION_UNKNOWN', sessionId);
  });
});
