import { Verifier } from '@auth0/mdl';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeStrictCbor } from '../../crypto/cose/cbor.js';
import { verifyMdoc } from '../../attestation/mdoc/verify.js';
import { outcome } from '../../../test/helpers/outcome.js';
import { androidVerifier } from '../../../test/helpers/android.js';
import { TrustAnchors } from '../../crypto/x509/chain.js';
import { parseCertificate } from '../../crypto/x509/certificate.js';
import { PROOF_OF_BINDING_OID } from '../../features/provisioning/protocol/auth-key-certificates.js';
import { REQUEST } from '../../features/provisioning/protocol/message-types.js';
import { readRequestMessage } from '../../features/provisioning/protocol/messages.js';
import { erika, issuerWorld, type IssuerWorld, MDL, MDL_NS, AAMVA_NS, tagOf } from './contract/fixtures.js';
import { type InProcessIssuer, sha256 } from './contract/in-process-issuer.js';
import { proofOfBinding } from './auth-key-certificate.js';
import { SimulatedIdentityCredentialHolder } from './holder.js';
import { sessionTranscript, sessionTranscriptBytes } from './presentation.js';

const AT = Date.now();

let world: IssuerWorld;
beforeAll(async () => {
  world = await issuerWorld(AT);
});

/** Runs a flow, reading every request the holder produces as the server would; returns the end and the request types. */
async function run(holder: SimulatedIdentityCredentialHolder, issuer: InProcessIssuer, first: Uint8Array) {
  const sent: Uint8Array[] = [];
  const end = await holder.converse(first, (request) => {
    sent.push(request);
    return issuer.handle(request);
  });
  return { end, sent, types: sent.map((bytes) => readRequestMessage(bytes).type) };
}

const decoded = (bytes: Uint8Array) =>
  decodeStrictCbor(bytes, 'PROVISIONING_MALFORMED_CBOR', 'request', { maxDepth: 16 }) as Map<string, unknown>;

type Check = { status: string; id: string; category: string; reason?: string };

async function independentChecks(deviceResponse: Uint8Array, transcriptBytes: Uint8Array): Promise<Check[]> {
  const checks: Check[] = [];
  await new Verifier([world.iacaPem]).verify(deviceResponse, {
    encodedSessionTranscript: transcriptBytes,
    onCheck: (check) => checks.push(check as Check),
  });
  return checks;
}

describe('simulated identity-credential holder, against the issuer groundwork in-process', () => {
  it('provisions, certifies, presents, updates, re-certifies and deletes a credential', async () => {
    const issuer = world.issuer();
    const holder = await SimulatedIdentityCredentialHolder.create({ device: world.device, authKeyCount: 2 });

    // Provisioning.
    const provisioning = await run(holder, issuer, holder.startProvisioning('1001'));
    expect(provisioning.end).toEqual({ flow: 'provisioning', reason: 'Success', docType: MDL });
    expect(provisioning.types).toEqual([
      REQUEST.startProvisioning,
      REQUEST.androidStartProvisioning,
      REQUEST.setCertificateChain,
      REQUEST.setProofOfProvisioning,
    ]);
    // As the app sends them: eSessionId text, the proof an embedded COSE_Sign1 array.
    const setProof = decoded(provisioning.sent[3]!);
    expect(typeof setProof.get('eSessionId')).toBe('string');
    expect(Array.isArray(setProof.get('proofOfProvisioningSignature'))).toBe(true);
    const credential = holder.credential(MDL);
    const record = issuer.recordOf(credential.credentialKey.publicKey)!;
    expect(Buffer.from(record.proofOfProvisioning)).toEqual(Buffer.from(credential.proofOfProvisioning));

    // Certify two auth keys.
    const certify = await run(holder, issuer, holder.certifyAuthKeys(MDL));
    expect(certify.end.reason).toBe('Success');
    expect(certify.types).toEqual([
      REQUEST.certifyAuthKeys,
      REQUEST.certifyProveOwnershipResponse,
      REQUEST.certifySendCerts,
      REQUEST.requestEndSession,
    ]);
    expect(decoded(certify.sent.at(-1)!).get('messageType')).toBe('RequestEndSession');
    const authKeyCerts = decoded(certify.sent[2]!).get('authKeyCerts') as unknown[];
    expect(authKeyCerts).toHaveLength(2);
    expect(authKeyCerts.every((der) => der instanceof Uint8Array)).toBe(true);
    expect(credential.authKeys).toHaveLength(2);
    // ProofOfBinding placed as the HAL places it: a DER OCTET STRING inside extnValue.
    const extension = parseCertificate(authKeyCerts[0] as Uint8Array).extension(PROOF_OF_BINDING_OID)!;
    expect(extension.value[0]).toBe(0x04);
    expect(Buffer.from(extension.value.subarray(2))).toEqual(
      Buffer.from(proofOfBinding(credential.proofOfProvisioning)),
    );
    credential.authKeys.forEach((authKey, index) => {
      expect(Buffer.from(authKey.staticAuthData!)).toEqual(Buffer.from(record.issued[index]!.staticAuthData));
    });
    // The holder's rebuilt IssuerSigned is byte for byte the issued one.
    expect(Buffer.from(holder.issuerSigned(MDL, 1))).toEqual(Buffer.from(record.issued[1]!.issuerSigned));

    // Presentation, verified by Keyward's reader and by @auth0/mdl.
    const presentation = holder.present(MDL, { authKey: 1 });
    const verified = verifyMdoc(presentation.deviceResponse, {
      anchors: world.anchors,
      at: Date.now(),
      sessionTranscript: presentation.sessionTranscript,
    });
    expect(verified.documents[0]).toMatchObject({ docType: MDL, deviceAuth: 'signature' });
    expect(verified.documents[0]!.namespaces[MDL_NS]).toMatchObject({ family_name: 'Mustermann', given_name: 'Erika' });
    expect(tagOf(verified.documents[0]!.namespaces[MDL_NS]!.birth_date)).toBe(1004);
    expect(verified.documents[0]!.namespaces[AAMVA_NS]).toEqual({ real_id: true, DHS_compliance: 'F' });
    expect(
      verifyMdoc(presentation.deviceResponse, {
        anchors: world.anchors,
        at: Date.now(),
        sessionTranscript: presentation.sessionTranscriptBytes,
      }).documents[0]!.deviceAuth,
    ).toBe('signature');
    expect(
      outcome(() =>
        verifyMdoc(presentation.deviceResponse, {
          anchors: world.anchors,
          at: Date.now(),
          sessionTranscript: sessionTranscript(),
        }),
      ),
    ).toBe('TRUST MDOC_DEVICE_SIGNATURE_INVALID');
    // @auth0/mdl takes SessionTranscriptBytes (#6.24), not the bare array.
    const checks = await independentChecks(presentation.deviceResponse, presentation.sessionTranscriptBytes);
    expect(checks.filter((check) => check.status !== 'PASSED')).toEqual([]);
    expect(checks.map((check) => check.id)).toEqual(
      expect.arrayContaining(['ISSUER_SIGNATURE_VALIDITY', 'ATTRIBUTE_DIGEST_MATCH', 'DEVICE_SIGNATURE_VALIDITY']),
    );
    const replayed = await independentChecks(presentation.deviceResponse, sessionTranscriptBytes(sessionTranscript()));
    expect(replayed.find((check) => check.id === 'DEVICE_SIGNATURE_VALIDITY')?.status).toBe('FAILED');

    // Selective disclosure: only the elements asked for.
    const partial = holder.present(MDL, { disclose: { [MDL_NS]: ['family_name', 'portrait'] } });
    const disclosed = verifyMdoc(partial.deviceResponse, {
      anchors: world.anchors,
      at: Date.now(),
      sessionTranscript: partial.sessionTranscript,
    });
    expect(Object.keys(disclosed.documents[0]!.namespaces)).toEqual([MDL_NS]);
    expect(Object.keys(disclosed.documents[0]!.namespaces[MDL_NS]!).sort()).toEqual(['family_name', 'portrait']);

    // Update: no_update, then update with new data.
    const unchanged = await run(holder, issuer, holder.updateCredential(MDL));
    expect(unchanged.end).toMatchObject({ reason: 'Success', updateResult: 'no_update' });
    expect(unchanged.types.at(-1)).toBe(REQUEST.requestEndSession);
    record.updateResult = 'update';
    record.nextDocument = erika('Erika Maria');
    const updated = await run(holder, issuer, holder.updateCredential(MDL));
    expect(updated.end).toMatchObject({ reason: 'Success', updateResult: 'update' });
    expect(updated.types).toEqual([
      REQUEST.updateCredential,
      REQUEST.updateProveOwnershipResponse,
      REQUEST.updateGetDataToUpdate,
      REQUEST.updateSetProofOfProvisioning,
    ]);
    expect(credential.authKeys).toEqual([]);
    expect(Buffer.from(record.proofOfProvisioning)).toEqual(Buffer.from(credential.proofOfProvisioning));

    // Certify again: bound to the new ProofOfProvisioning; the presentation carries the new data.
    expect((await run(holder, issuer, holder.certifyAuthKeys(MDL, 1))).end.reason).toBe('Success');
    expect(Buffer.from(sha256(credential.proofOfProvisioning))).toEqual(Buffer.from(record.proofOfProvisioningSha256));
    const after = holder.present(MDL);
    expect(
      verifyMdoc(after.deviceResponse, {
        anchors: world.anchors,
        at: Date.now(),
        sessionTranscript: after.sessionTranscript,
      }).documents[0]!.namespaces[MDL_NS],
    ).toMatchObject({ given_name: 'Erika Maria' });
    expect(
      (await independentChecks(after.deviceResponse, after.sessionTranscriptBytes)).filter(
        (c) => c.status !== 'PASSED',
      ),
    ).toEqual([]);

    // Delete (the app's ProofOfDeletion: an empty challenge).
    const deleted = await run(holder, issuer, holder.deleteCredential(MDL));
    expect(deleted.end.reason).toBe('Success');
    expect(deleted.types).toEqual([
      REQUEST.deleteCredential,
      REQUEST.deleteProveOwnershipResponse,
      REQUEST.deleteDeleted,
    ]);
    expect(holder.credentials.has(MDL)).toBe(false);
    expect(issuer.records.size).toBe(0);
    expect(issuer.refusals).toEqual([]);
  });

  it('speaks the older wire forms too: authKeyCerts as one bstr, raw ProofOfBinding, deletion challenge given or absent', async () => {
    const issuer = world.issuer({ deletion: {} });
    const holder = await SimulatedIdentityCredentialHolder.create({
      device: world.device,
      variants: { authKeyCertsForm: 'bstr', proofOfBinding: 'raw', deletionChallenge: 'included' },
    });
    expect((await run(holder, issuer, holder.startProvisioning('1001'))).end.reason).toBe('Success');
    const certify = await run(holder, issuer, holder.certifyAuthKeys(MDL));
    expect(certify.end.reason).toBe('Success');
    expect(decoded(certify.sent[2]!).get('authKeyCerts')).toBeInstanceOf(Uint8Array);
    const presentation = holder.present(MDL);
    expect(
      verifyMdoc(presentation.deviceResponse, {
        anchors: world.anchors,
        at: Date.now(),
        sessionTranscript: presentation.sessionTranscript,
      }).documents[0]!.deviceAuth,
    ).toBe('signature');
    expect((await run(holder, issuer, holder.deleteCredential(MDL))).end.reason).toBe('Success');

    holder.variants = { deletionChallenge: 'absent' };
    expect((await run(holder, issuer, holder.startProvisioning('1001'))).end.reason).toBe('Success');
    expect((await run(holder, issuer, holder.deleteCredential(MDL))).end.reason).toBe('Success');
    // An issuer that requires the deletion challenge refuses the app's empty one.
    const strict = world.issuer({ deletion: { requireDeletionChallenge: true } });
    holder.variants = {};
    expect((await run(holder, strict, holder.startProvisioning('1001'))).end.reason).toBe('Success');
    expect((await run(holder, strict, holder.deleteCredential(MDL))).end.reason).toBe('Failed');
    expect(strict.refusals).toEqual(['PROVISIONING_PROOF_CHALLENGE_MISMATCH']);
    expect(holder.credentials.has(MDL)).toBe(true);
    expect(issuer.refusals).toEqual([]);
  });

  it('attests its CredentialKey under the shipped simulator root by default', async () => {
    const holder = await SimulatedIdentityCredentialHolder.create();
    const untrusting = world.issuer();
    expect((await run(holder, untrusting, holder.startProvisioning('1001'))).end.reason).toBe('Failed');
    expect(untrusting.refusals).toEqual(['UNTRUSTED_ROOT']);
    // What --trust-simulator-roots adds: the shipped root.
    const verifier = androidVerifier({}, TrustAnchors.fromPem(holder.device.rootPem, 'shipped simulator root'));
    const trusting = world.issuer({ verifier });
    expect((await run(holder, trusting, holder.startProvisioning('1001'))).end.reason).toBe('Success');
  });
});
