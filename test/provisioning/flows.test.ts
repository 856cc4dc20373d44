import { randomBytes, randomUUID } from 'node:crypto';
import { encode } from 'cbor2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyMdoc } from '../../src/attestation/mdoc/verify.js';
import { TrustAnchors } from '../../src/crypto/x509/chain.js';
import { encodeDocumentData } from '../../src/features/provisioning/document-data.js';
import { credentialKeyFingerprint } from '../../src/features/provisioning/protocol/credential-key.js';
import { RESPONSE } from '../../src/features/provisioning/protocol/message-types.js';
import { AndroidDeviceSimulator } from '../../src/simulator/android/device.js';
import { erika, MDL, MDL_NS } from '../../src/simulator/provisioning/contract/fixtures.js';
import { SimulatedIdentityCredentialHolder } from '../../src/simulator/provisioning/holder.js';
import * as requests from '../../src/simulator/provisioning/request-messages.js';
import type { HolderVariants } from '../../src/simulator/provisioning/variants.js';
import { decodePlain } from '../../src/simulator/provisioning/wire.js';
import type { MdocRecordStore } from '../../src/store/provisioning-store.js';
import { SERVER_BACKENDS } from '../helpers/backends.js';
import { decisionsAbout, outcomes } from '../helpers/decisions.js';
import { startSimulatorServer, startTestServer, type TestServer, type TestServerOptions } from '../helpers/server.js';
import { MovableClock } from '../helpers/clock.js';

/**
 * The identity-credential provisioning protocol (PROTOCOLS.md §7) end to end over HTTP: the
 * simulated Android holder talks to POST /mdlServer as the app does (CBOR bodies sent as
 * application/x-www-form-urlencoded), on SQLite and on PostgreSQL with Redis. Every refusal is
 * EndSessionMessage Failed (HTTP 200, application/cbor), its code in the server's log, and
 * leaves no half-written record.
 */

const DAY = 86_400_000;
const FORM = 'application/x-www-form-urlencoded';
const SESSION_TTL_SECONDS = 60;
const MAX_AUTH_KEYS = 5;
const PROVISIONING = {
  requireIdentityCredentialKey: true,
  sessionTtlSeconds: SESSION_TTL_SECONDS,
  maxAuthKeys: MAX_AUTH_KEYS,
};

let device: AndroidDeviceSimulator;
beforeAll(async () => {
  device = await AndroidDeviceSimulator.create({ root: 'shipped' });
});

interface Exchanged {
  status: number;
  contentType: string;
  reply: Map<string, unknown>;
}

/** One POST /mdlServer: the reply must be HTTP 200 application/cbor, one CBOR map. */
async function postMdl(
  server: TestServer,
  body: Uint8Array,
  contentType: string | undefined = FORM,
): Promise<Exchanged & { bytes: Uint8Array }> {
  const response = await fetch(`${server.url}/mdlServer`, {
    method: 'POST',
    headers: contentType === undefined ? {} : { 'content-type': contentType },
    body,
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const type = response.headers.get('content-type') ?? '';
  if (response.status !== 200 || !type.startsWith('application/cbor')) {
    throw new Error(
      `POST /mdlServer: HTTP ${response.status} ${type} ${Buffer.from(bytes).toString('utf8').slice(0, 300)}`,
    );
  }
  const reply = decodePlain(bytes, 'reply');
  if (!(reply instanceof Map)) throw new Error('the reply is not a CBOR map');
  return { status: response.status, contentType: type, reply: reply as Map<string, unknown>, bytes };
}

/** The reply is EndSessionMessage Failed (naming `sessionId`, or none). */
function expectFailedReply(reply: Map<string, unknown>, sessionId?: string) {
  expect(reply.get('messageType')).toBe(RESPONSE.endSession);
  expect(reply.get('reason')).toBe('Failed');
  expect(reply.get('eSessionId')).toBe(sessionId);
}

/** A log line written since `since` that carries `code`. */
async function expectLogged(server: TestServer, since: number, code: string) {
  await vi.waitFor(
    () => {
      const lines = server.logs.slice(since).filter((line) => line.code === code);
      expect(lines, `no log line with ${code}: ${JSON.stringify(server.logs.slice(since))}`).not.toEqual([]);
    },
    { timeout: 3_000, interval: 50 },
  );
}

interface Seeded {
  documentId: string;
  code: string;
  records: MdocRecordStore;
}

/** Erika Mustermann's mDL with a fresh provisioning code, straight into the server's store. */
async function seed(server: TestServer, codes = 1): Promise<Seeded & { codes: string[] }> {
  const records = server.services.store.mdocRecords;
  const now = Date.now();
  const personId = randomUUID();
  const documentId = randomUUID();
  await records.addPerson({ id: personId, name: 'Erika Mustermann', createdAt: now });
  await records.addDocument({
    id: documentId,
    personId,
    docType: MDL,
    data: encodeDocumentData(erika()),
    dataTimestamp: now - 1000,
    status: 'active',
    createdAt: now - 1000,
    updatedAt: now - 1000,
  });
  const list: string[] = [];
  for (let i = 0; i < codes; i++) {
    const code = `t-${randomBytes(6).toString('hex')}`;
    expect(await records.addCode({ code, documentId, createdAt: now, expiresAt: now + DAY })).toBe(true);
    list.push(code);
  }
  return { documentId, code: list[0]!, codes: list, records };
}

/** A holder talking to `server` over HTTP, remembering each flow's eSessionId and every reply. */
async function holderFor(server: TestServer, variants: HolderVariants = {}, authKeyCount = 1) {
  const holder = await SimulatedIdentityCredentialHolder.create({
    device,
    now: () => server.services.clock.now(),
    variants,
    authKeyCount,
  });
  const state = { sessionId: undefined as string | undefined, replies: [] as Exchanged[] };
  const exchange = async (request: Uint8Array) => {
    const exchanged = await postMdl(server, request);
    state.replies.push(exchanged);
    const id = exchanged.reply.get('eSessionId');
    if (typeof id === 'string') state.sessionId = id;
    return exchanged.bytes;
  };
  const run = async (first: Uint8Array) => {
    state.sessionId = undefined;
    const end = await holder.converse(first, exchange);
    return {
      reason: end.reason,
      sessionId: state.sessionId,
      ...(end.updateResult ? { updateResult: end.updateResult } : {}),
    };
  };
  return { holder, exchange, run, state };
}

type Harness = Awaited<ReturnType<typeof holderFor>>;

/** Runs `first` to its end, expecting Failed with `code` logged. */
async function expectRefused(server: TestServer, harness: Harness, first: Uint8Array, code: string) {
  const since = server.logs.length;
  const end = await harness.run(first);
  expect(end.reason).toBe('Failed');
  expectFailedReply(harness.state.replies.at(-1)!.reply, end.sessionId);
  await expectLogged(server, since, code);
  return end;
}

const fingerprintOf = (holder: SimulatedIdentityCredentialHolder) =>
  credentialKeyFingerprint(holder.credential(MDL).credentialKey.publicKey);

const codeState = async (seeded: Seeded, code = seeded.code) =>
  (await seeded.records.codeState(code, Date.now())).state;

/** The IACA the server issues under: GET /mdoc/iaca.pem (the same as services.provisioning.signer.iaca). */
async function iacaOf(server: TestServer): Promise<string> {
  const response = await fetch(`${server.url}/mdoc/iaca.pem`);
  expect(response.status).toBe(200);
  const pem = await response.text();
  expect(pem).toBe(server.services.provisioning!.signer.iaca.toPem());
  return pem;
}

async function provisioned(server: TestServer, authKeyCount = 1, variants: HolderVariants = {}) {
  const seeded = await seed(server);
  const harness = await holderFor(server, variants, authKeyCount);
  expect((await harness.run(harness.holder.startProvisioning(seeded.code))).reason).toBe('Success');
  return { seeded, harness, holder: harness.holder };
}

for (const backend of SERVER_BACKENDS) {
  describe.skipIf(backend.skip)(`mdoc provisioning over HTTP on ${backend.name}`, () => {
    const clock = new MovableClock();
    const base: TestServerOptions = { database: backend.database, redis: backend.redis };
    let server: TestServer;
    let anchors: TrustAnchors;

    beforeAll(async () => {
      server = await startSimulatorServer({ ...base, clock, options: { provisioning: PROVISIONING } });
      anchors = new TrustAnchors(TrustAnchors.fromPem(await iacaOf(server), 'Keyward IACA'));
    });
    afterAll(async () => {
      await server?.close();
    });

    it('runs provisioning, certify, update and delete; the issued mdoc verifies against the IACA', async () => {
      const seeded = await seed(server);
      const harness = await holderFor(server, {}, 3);
      const { holder, run } = harness;

      const started = await run(holder.startProvisioning(seeded.code));
      expect(started).toMatchObject({ reason: 'Success' });
      expect(started.sessionId).toMatch(/.+/);
      expect(harness.state.replies.map(({ reply }) => reply.get('messageType'))).toEqual([
        RESPONSE.readyToProvision,
        RESPONSE.provisioningResponse,
        RESPONSE.dataToProvision,
        RESPONSE.endSession,
      ]);
      expect(await codeState(seeded)).toBe('used');
      const fingerprint = fingerprintOf(holder);
      const configured = await seeded.records.configured(fingerprint);
      expect(configured).toMatchObject({ documentId: seeded.documentId });

      // Certify three auth keys: one mdoc each, presentable with any of them.
      expect((await run(holder.certifyAuthKeys(MDL))).reason).toBe('Success');
      expect(await seeded.records.authKeys(fingerprint)).toHaveLength(3);
      const at = server.services.clock.now();
      const presentation = holder.present(MDL, { authKey: 2 });
      const verified = verifyMdoc(presentation.deviceResponse, {
        anchors,
        at,
        sessionTranscript: presentation.sessionTranscript,
      });
      expect(verified.documents).toHaveLength(1);
      expect(verified.documents[0]).toMatchObject({ docType: MDL, deviceAuth: 'signature' });
      expect(verified.documents[0]!.namespaces[MDL_NS]).toMatchObject({
        family_name: 'Mustermann',
        given_name: 'Erika',
      });
      expect(verifyMdoc(holder.issuerSigned(MDL, 0), { anchors, at }).documents[0]).toMatchObject({
        docType: MDL,
        deviceAuth: 'absent',
      });
      // The device signature binds the transcript: another transcript fails.
      const other = holder.present(MDL, { authKey: 2 });
      expect(() =>
        verifyMdoc(presentation.deviceResponse, { anchors, at, sessionTranscript: other.sessionTranscript }),
      ).toThrow();

      // Update: nothing changed; then the operator changes the data.
      expect(await run(holder.updateCredential(MDL))).toMatchObject({ reason: 'Success', updateResult: 'no_update' });
      await seeded.records.updateDocumentData(seeded.documentId, encodeDocumentData(erika('Erika Maria')), Date.now());
      expect(await run(holder.updateCredential(MDL))).toMatchObject({ reason: 'Success', updateResult: 'update' });
      const updated = await seeded.records.configured(fingerprint);
      expect(Buffer.from(updated!.proofOfProvisioningSha256)).not.toEqual(
        Buffer.from(configured!.proofOfProvisioningSha256),
      );
      expect(await seeded.records.authKeys(fingerprint)).toEqual([]);
      // Certified again (older apps send authKeyCerts as one bstr): the new data.
      holder.variants = { authKeyCertsForm: 'bstr' };
      expect((await run(holder.certifyAuthKeys(MDL, 1))).reason).toBe('Success');
      holder.variants = {};
      const after = holder.present(MDL);
      expect(
        verifyMdoc(after.deviceResponse, {
          anchors,
          at: server.services.clock.now(),
          sessionTranscript: after.sessionTranscript,
        }).documents[0]!.namespaces[MDL_NS],
      ).toMatchObject({ given_name: 'Erika Maria' });

      // Delete.
      const credential = holder.credential(MDL);
      expect((await run(holder.deleteCredential(MDL))).reason).toBe('Success');
      expect(await seeded.records.configured(fingerprint)).toBeUndefined();
      expect(await seeded.records.authKeys(fingerprint)).toEqual([]);
      expect(holder.credentials.has(MDL)).toBe(false);
      // Deleted: its CredentialKey is unknown now.
      holder.credentials.set(MDL, credential);
      await expectRefused(server, harness, holder.updateCredential(MDL), 'PROVISIONING_CREDENTIAL_UNKNOWN');

      // The decision log: each completed flow once, under the document (provisioning) or the CredentialKey.
      const provisioning = await decisionsAbout(server, { capability: 'provisioning', subject: seeded.documentId });
      expect(outcomes(provisioning)).toEqual([['provisioning', 'accepted', '']]);
      expect(provisioning[0]).toMatchObject({ platform: 'android', summary: { docType: MDL } });
      expect(outcomes(await decisionsAbout(server, { capability: 'provisioning', subject: fingerprint }))).toEqual([
        ['delete', 'accepted', ''],
        ['certify', 'accepted', ''],
        ['update', 'accepted', ''],
        ['update', 'accepted', ''],
        ['certify', 'accepted', ''],
      ]);
      const [refused] = await decisionsAbout(server, { capability: 'provisioning', outcome: 'rejected' });
      expect(refused).toMatchObject({
        operation: 'update',
        category: 'TRUST',
        code: 'PROVISIONING_CREDENTIAL_UNKNOWN',
      });
    });

    it('answers UpdateCredential "delete" for a document marked for deletion, and the credential goes', async () => {
      const { seeded, harness, holder } = await provisioned(server);
      const fingerprint = fingerprintOf(holder);
      await seeded.records.markDocumentForDeletion(seeded.documentId, Date.now());
      await expectRefused(server, harness, holder.certifyAuthKeys(MDL), 'PROVISIONING_DOCUMENT_WITHDRAWN');
      expect(await harness.run(holder.updateCredential(MDL))).toMatchObject({
        reason: 'Success',
        updateResult: 'delete',
      });
      expect(await seeded.records.configured(fingerprint)).toBeUndefined();
      expect(holder.credentials.has(MDL)).toBe(false);
    });

    it.each([undefined, 'application/cbor', 'application/octet-stream', 'text/plain'])(
      'accepts a request body with Content-Type %s',
      async (contentType) => {
        const seeded = await seed(server);
        const first = await postMdl(server, requests.startProvisioning(seeded.code), contentType);
        expect(first.reply.get('messageType')).toBe(RESPONSE.readyToProvision);
        const sessionId = first.reply.get('eSessionId') as string;
        const second = await postMdl(server, requests.androidStartProvisioning(sessionId), contentType);
        expect(second.reply.get('messageType')).toBe(RESPONSE.provisioningResponse);
      },
    );

    it('writes once when the final message of a flow arrives twice at the same time', async () => {
      const seeded = await seed(server);
      const harness = await holderFor(server);
      const { holder } = harness;
      let step = await holder.receive(await harness.exchange(holder.startProvisioning(seeded.code)));
      step = await holder.receive(await harness.exchange(step.request!));
      step = await holder.receive(await harness.exchange(step.request!));
      const sessionId = harness.state.sessionId!;
      const answers = await Promise.all([postMdl(server, step.request!), postMdl(server, step.request!)]);
      const reasons = answers.map(({ reply }) => reply.get('reason')).sort();
      expect(reasons).toEqual(['Failed', 'Success']);
      for (const { reply } of answers) expect(reply.get('eSessionId')).toBe(sessionId);
      expect(await codeState(seeded)).toBe('used');
      expect(await seeded.records.configuredForDocument(seeded.documentId)).toHaveLength(1);
    });

    describe('refusals: EndSessionMessage Failed, the code logged, nothing written', () => {
      it('refuses an unknown provisioning code', async () => {
        const harness = await holderFor(server);
        const end = await expectRefused(
          server,
          harness,
          harness.holder.startProvisioning('no-such-code'),
          'PROVISIONING_CODE_UNKNOWN',
        );
        expect(end.sessionId).toBeUndefined();
      });

      it('refuses a used provisioning code', async () => {
        const { seeded } = await provisioned(server);
        const second = await holderFor(server);
        await expectRefused(server, second, second.holder.startProvisioning(seeded.code), 'PROVISIONING_CODE_USED');
        expect(await seeded.records.configuredForDocument(seeded.documentId)).toHaveLength(1);
      });

      it.each([
        [{ identityCredentialKey: false }, 'PROVISIONING_NOT_IDENTITY_CREDENTIAL_KEY'],
        [{ attestationChallenge: 'wrong' }, 'PROVISIONING_CREDENTIAL_KEY_CHALLENGE_MISMATCH'],
        [{ proofOfProvisioningData: 'different' }, 'PROVISIONING_PROOF_DATA_MISMATCH'],
        [{ credentialKey: 'foreign-signing' }, 'PROVISIONING_PROOF_SIGNATURE_INVALID'],
        [{ testCredential: true }, 'PROVISIONING_TEST_CREDENTIAL'],
      ] as [HolderVariants, string][])('refuses provisioning by a holder with %o: %s', async (variants, code) => {
        const seeded = await seed(server);
        const harness = await holderFor(server, variants);
        const end = await expectRefused(server, harness, harness.holder.startProvisioning(seeded.code), code);
        expect(end.sessionId).toMatch(/.+/);
        expect(await codeState(seeded)).toBe('usable');
        expect(await seeded.records.configuredForDocument(seeded.documentId)).toEqual([]);
      });

      it('refuses a ProofOfOwnership over another challenge in certify, update and delete, and a wrong ProofOfDeletion challenge', async () => {
        const { seeded, harness, holder } = await provisioned(server);
        const fingerprint = fingerprintOf(holder);
        const before = await seeded.records.configured(fingerprint);
        holder.variants = { proofChallenge: 'wrong' };
        for (const first of [
          () => holder.certifyAuthKeys(MDL),
          () => holder.updateCredential(MDL),
          () => holder.deleteCredential(MDL),
        ]) {
          await expectRefused(server, harness, first(), 'PROVISIONING_PROOF_CHALLENGE_MISMATCH');
        }
        holder.variants = { deletionChallenge: 'wrong' };
        await expectRefused(server, harness, holder.deleteCredential(MDL), 'PROVISIONING_PROOF_CHALLENGE_MISMATCH');
        expect(await seeded.records.configured(fingerprint)).toEqual(before);
        expect(await seeded.records.authKeys(fingerprint)).toEqual([]);
      });

      it.each([
        ['foreign-announced', 'PROVISIONING_CREDENTIAL_UNKNOWN'],
        ['foreign-signing', 'PROVISIONING_PROOF_SIGNATURE_INVALID'],
      ] as const)('refuses update and delete with a %s CredentialKey: %s', async (variant, code) => {
        const { seeded, harness, holder } = await provisioned(server);
        const fingerprint = fingerprintOf(holder);
        const before = await seeded.records.configured(fingerprint);
        holder.variants = { credentialKey: variant };
        for (const first of [() => holder.updateCredential(MDL), () => holder.deleteCredential(MDL)]) {
          const end = await expectRefused(server, harness, first(), code);
          if (variant === 'foreign-announced') expect(end.sessionId).toBeUndefined();
        }
        expect(await seeded.records.configured(fingerprint)).toEqual(before);
      });

      it.each([
        ['none', 'PROVISIONING_PROOF_OF_BINDING_MISSING'],
        ['wrong-hash', 'PROVISIONING_PROOF_OF_BINDING_MISMATCH'],
      ] as const)('refuses auth-key certificates with ProofOfBinding %s: %s', async (proofOfBinding, code) => {
        const { seeded, harness, holder } = await provisioned(server);
        holder.variants = { proofOfBinding };
        await expectRefused(server, harness, holder.certifyAuthKeys(MDL, 2), code);
        expect(await seeded.records.authKeys(fingerprintOf(holder))).toEqual([]);
      });

      it('refuses more auth keys than provisioning.maxAuthKeys in one request', async () => {
        const { seeded, harness, holder } = await provisioned(server);
        await expectRefused(
          server,
          harness,
          holder.certifyAuthKeys(MDL, MAX_AUTH_KEYS + 1),
          'PROVISIONING_TOO_MANY_AUTH_KEYS',
        );
        expect(await seeded.records.authKeys(fingerprintOf(holder))).toEqual([]);
      });

      it('refuses a message in an expired session', async () => {
        const seeded = await seed(server);
        const harness = await holderFor(server);
        const step = await harness.holder.receive(
          await harness.exchange(harness.holder.startProvisioning(seeded.code)),
        );
        const sessionId = harness.state.sessionId!;
        clock.offset = (SESSION_TTL_SECONDS + 1) * 1000;
        try {
          const since = server.logs.length;
          const late = await postMdl(server, step.request!);
          expectFailedReply(late.reply, sessionId);
          await expectLogged(server, since, 'PROVISIONING_SESSION_UNKNOWN');
        } finally {
          clock.offset = 0;
        }
        expect(await codeState(seeded)).toBe('usable');
      });

      it('refuses an out-of-order message and ends its session', async () => {
        const seeded = await seed(server);
        const harness = await holderFor(server);
        const step = await harness.holder.receive(
          await harness.exchange(harness.holder.startProvisioning(seeded.code)),
        );
        const sessionId = harness.state.sessionId!;
        let since = server.logs.length;
        const early = await postMdl(server, requests.requestEndSession(sessionId));
        expectFailedReply(early.reply, sessionId);
        await expectLogged(server, since, 'PROVISIONING_MESSAGE_OUT_OF_ORDER');
        since = server.logs.length;
        const next = await postMdl(server, step.request!);
        expectFailedReply(next.reply, sessionId);
        await expectLogged(server, since, 'PROVISIONING_SESSION_UNKNOWN');
        expect(await codeState(seeded)).toBe('usable');
      });

      it('refuses malformed CBOR and an unknown message type', async () => {
        let since = server.logs.length;
        const malformed = await postMdl(server, new Uint8Array([0xa1, 0x6b, 0x6d, 0x65]));
        expectFailedReply(malformed.reply);
        await expectLogged(server, since, 'PROVISIONING_MALFORMED_CBOR');
        since = server.logs.length;
        const unknown = await postMdl(server, encode(new Map([['messageType', 'com.example.Nonsense']])));
        expectFailedReply(unknown.reply);
        await expectLogged(server, since, 'PROVISIONING_UNKNOWN_MESSAGE_TYPE');
      });

      it('ends the session a malformed message names', async () => {
        const seeded = await seed(server);
        const harness = await holderFor(server);
        const step = await harness.holder.receive(
          await harness.exchange(harness.holder.startProvisioning(seeded.code)),
        );
        const sessionId = harness.state.sessionId!;
        const since = server.logs.length;
        const bad = await postMdl(
          server,
          encode(
            new Map<string, unknown>([
              ['messageType', 'com.example.Nonsense'],
              ['eSessionId', sessionId],
            ]),
          ),
        );
        expectFailedReply(bad.reply, sessionId);
        await expectLogged(server, since, 'PROVISIONING_UNKNOWN_MESSAGE_TYPE');
        expectFailedReply((await postMdl(server, step.request!)).reply, sessionId);
        expect(await codeState(seeded)).toBe('usable');
      });

      it('refuses an empty body (reported with the size code: "empty or too large")', async () => {
        const since = server.logs.length;
        const empty = await postMdl(server, new Uint8Array());
        expectFailedReply(empty.reply);
        await expectLogged(server, since, 'PROVISIONING_MESSAGE_TOO_LARGE');
      });

      it('refuses a body over provisioning.maxBodyBytes', async () => {
        const since = server.logs.length;
        const big = new Uint8Array(server.config.provisioning.maxBodyBytes + 1);
        big[0] = 0xa1;
        const answer = await postMdl(server, big);
        expectFailedReply(answer.reply);
        await expectLogged(server, since, 'PROVISIONING_MESSAGE_TOO_LARGE');
      });
    });

    it('refuses a CredentialKey chained to a root the server does not trust (no --trust-simulator-roots)', async () => {
      const strict = await startTestServer({
        ...base,
        options: { android: { revocation: { enabled: false } }, provisioning: PROVISIONING },
      });
      try {
        const seeded = await seed(strict);
        const harness = await holderFor(strict);
        const end = await expectRefused(
          strict,
          harness,
          harness.holder.startProvisioning(seeded.code),
          'UNTRUSTED_ROOT',
        );
        expect(end.sessionId).toMatch(/.+/);
        expect(await codeState(seeded)).toBe('usable');
        expect(await seeded.records.configuredForDocument(seeded.documentId)).toEqual([]);
      } finally {
        await strict.close();
      }
    });

    it('continues a session across a restart: a new server on the same database (and Redis prefix) finishes it', async () => {
      const first = await startSimulatorServer({ ...base, options: { provisioning: PROVISIONING } });
      let second: TestServer | undefined;
      try {
        const seeded = await seed(first);
        const harness = await holderFor(first);
        const { holder } = harness;
        let step = await holder.receive(await harness.exchange(holder.startProvisioning(seeded.code)));
        step = await holder.receive(await harness.exchange(step.request!));
        expect(harness.state.replies.at(-1)!.reply.get('messageType')).toBe(RESPONSE.provisioningResponse);
        const sessionId = harness.state.sessionId!;
        const iacaBefore = await iacaOf(first);
        await first.stop();

        const { databaseUrl, databaseSchema, dataDir, redisKeyPrefix } = first.config as unknown as Record<
          string,
          string
        >;
        second = await startSimulatorServer({
          ...base,
          options: {
            provisioning: PROVISIONING,
            databaseUrl,
            databaseSchema,
            dataDir,
            ...(backend.redis ? { redisKeyPrefix } : {}),
          },
        });
        const records = second.services.store.mdocRecords;
        // The holder continues where it was, with the new server: SetCertificateChain onwards.
        const restarted = async (request: Uint8Array) => {
          const exchanged = await postMdl(second!, request);
          harness.state.replies.push(exchanged);
          return exchanged.bytes;
        };
        const end = await holder.converse(step.request!, restarted);
        expect(end.reason).toBe('Success');
        expect(harness.state.replies.at(-1)!.reply.get('eSessionId')).toBe(sessionId);
        expect((await records.codeState(seeded.code, Date.now())).state).toBe('used');
        const configured = await records.configuredForDocument(seeded.documentId);
        expect(configured).toHaveLength(1);
        expect(configured[0]!.credentialKeyFingerprint).toBe(fingerprintOf(holder));
        // And the credential works on the new server: certify, present.
        const certified = await holder.converse(holder.certifyAuthKeys(MDL, 1), restarted);
        expect(certified.reason).toBe('Success');
        const presentation = holder.present(MDL);
        // The same development issuer (under the shared dataDir) signs after the restart.
        expect(await iacaOf(second)).toBe(iacaBefore);
        const iaca = new TrustAnchors(TrustAnchors.fromPem(iacaBefore, 'Keyward IACA'));
        expect(
          verifyMdoc(presentation.deviceResponse, {
            anchors: iaca,
            at: Date.now(),
            sessionTranscript: presentation.sessionTranscript,
          }).verified,
        ).toBe(true);
      } finally {
        await second?.close();
        await first.close();
      }
    });
  });
}
