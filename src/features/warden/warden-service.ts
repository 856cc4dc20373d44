import type { JsonWebKey, KeyObject } from 'node:crypto';
import type { AndroidVerifier } from '../../attestation/android/verify.js';
import { parseEmulatedKeyClientData } from '../../attestation/apple/emulated-key.js';
import type { AttestationResult } from '../../attestation/result.js';
import type { ChallengeService } from '../../challenges/challenge-service.js';
import { PROTOCOL_PURPOSES } from '../../challenges/purposes.js';
import type { Clock } from '../../clock.js';
import type { WardenConfig } from '../../config/warden.js';
import { invalidConfiguration } from '../../config/config-error.js';
import { sameBytes } from '../../crypto/bytes.js';
import { csrDer, parseCsr, type ParsedCsr } from '../../crypto/x509/csr.js';
import { spkiToJwk } from '../../crypto/jose/jwk.js';
import { importRequestKey, sha256Hex } from '../../crypto/keys.js';
import { describeName } from '../../crypto/x509/names.js';
import { verifySignature } from '../../crypto/x509/signatures.js';
import { contentError, type ErrorCode, internalError, isKeywardError, trustError } from '../../errors.js';
import type { BindingCertificateRecord, BindingCertificateStore } from '../../store/binding-certificate-store.js';
import type { BindingCa } from './binding-ca.js';
import { DEFAULT_POLICY, policyNamed, type ResolvedPolicy } from './policies.js';
import { compileSubjectTemplate, defaultSubject, type SubjectValues } from './subject-template.js';
import { checkAttributes, deviceNameOf, hashBinding, nonceOf, statementOf, type Statement } from './proof.js';
import type { WardenChallenge } from './schemas.js';

export interface WardenDependencies {
  config: WardenConfig;
  clock: Clock;
  /** The URL clients reach this server at (read per challenge: it is known only once the server listens). */
  publicBaseUrl: () => string;
  challenges: ChallengeService;
  android: AndroidVerifier;
  policies: Map<string, ResolvedPolicy>;
  ca: BindingCa;
  certificates: BindingCertificateStore;
  /** Called after every issuance (the server logs it, loudly when simulator roots are trusted). */
  onIssued?(record: BindingCertificateRecord): void;
}

/** An issued binding certificate: the chain for the client, the record for the log. */
export interface WardenIssued {
  /** Leaf first, base64url DER. */
  chain: string[];
  record: BindingCertificateRecord;
}

const PURPOSE = PROTOCOL_PURPOSES.warden;

/** Codes of a nonce that is not (or no longer) bound to this request: Warden answers them as CONTENT, not TRUST. */
const BINDING_REJECTIONS: ReadonlySet<ErrorCode> = new Set(['CHALLENGE_USED', 'CHALLENGE_SUBJECT_MISMATCH']);

/**
 * Warden's kinds for a nonce check: a replayed nonce, or one issued for another policy, is "nonce
 * binding absent or incorrect" (CONTENT); unknown stays CONTENT and expired TIME. The code stays the
 * challenge service's, for the log.
 */
async function nonceBound<T>(pending: Promise<T>): Promise<T> {
  try {
    return await pending;
  } catch (error) {
    if (isKeywardError(error) && BINDING_REJECTIONS.has(error.code)) {
      throw contentError(error.code, 'The nonce binding is absent or incorrect.', {
        detail: error.message,
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Warden-style attestation (docs/protocols/warden.md): challenges, and for each proof, in order: nonce
 * known, unexpired, unused (checked, not consumed) → dataAuth matches → attributes distinct →
 * statement → platform attestation → attested key = CSR key → CSR signature with that key →
 * (policy, inside the platform verifiers) → nonce consumed once → binding certificate issued
 * and recorded. The nonce is spent only by a verified proof: anyone who saw it cannot burn it
 * with a bad one, and the consume's compare-and-set still lets exactly one proof through.
 */
export class WardenService {
  /** The configured subject template compiled (and so checked) once, else the default subject; undefined copies the CSR subject. */
  private readonly subject: ((values: SubjectValues) => Buffer) | undefined;

  constructor(private readonly deps: WardenDependencies) {
    const { subject, copyCsrSubject } = deps.config.certificate;
    if (copyCsrSubject && subject)
      throw invalidConfiguration('warden.certificate.copyCsrSubject and warden.certificate.subject exclude each other');
    this.subject = copyCsrSubject ? undefined : subject ? compileSubjectTemplate(subject) : defaultSubject;
  }

  async challenge(policyName?: string): Promise<WardenChallenge> {
    const { config, challenges, publicBaseUrl } = this.deps;
    const policy = policyNamed(this.deps.policies, policyName);
    const issued = await challenges.issue(PURPOSE, {
      subject: policy.name,
      bytes: config.nonceBytes,
      ttlSeconds: config.validitySeconds,
    });
    const hash = config.dataAuth !== 'SIGNATURE';
    return {
      issuedAt: issued.issuedAt - config.clockSkewSeconds * 1000,
      // Clients expire a challenge at issuedAt + validity; with issuedAt shifted back, the shift is added back here,
      // so client and server agree: the nonce is accepted for validitySeconds after it was issued.
      validity: config.validitySeconds + config.clockSkewSeconds,
      timeZone: config.timeZone || null,
      nonce: issued.value.toString('base64url'),
      attestationEndpoint: `${publicBaseUrl()}/api/v1/${policy.name === DEFAULT_POLICY ? '' : `${policy.name}/`}attest`,
      proofOID: config.proofOid,
      genericDeviceNameOID: config.genericDeviceNameOid || null,
      version: hash ? 3 : 2,
      keyConstraints: config.keyConstraints ?? null,
      additionalPayload: null,
      dataAuth: hash
        ? { type: 'HASH', algorithm: config.dataAuth.slice('HASH-'.length) as 'SHA256' }
        : { type: 'SIGNATURE' },
    };
  }

  /** Returns the certificate chain (leaf first, base64url DER) and its record, or throws a KeywardError whose category is the Failure kind. */
  async attest(policyName: string | undefined, body: Uint8Array): Promise<WardenIssued> {
    const { config, clock } = this.deps;
    const policy = policyNamed(this.deps.policies, policyName);
    if (body.length === 0) throw contentError('MALFORMED_CSR', 'The request body is empty.');
    const csr = parseCsr(csrDer(body));

    const nonce = nonceOf(csr);
    await nonceBound(this.deps.challenges.check(PURPOSE, nonce, policy.name));

    const hashed = csr.signature === undefined;
    if (hashed !== (config.dataAuth !== 'SIGNATURE')) {
      throw trustError(
        'DATA_AUTH_MISMATCH',
        'The request does not authenticate its data the way the challenge asked.',
        {
          detail: `challenge dataAuth ${config.dataAuth}, request ${hashed ? 'unsigned (HASH)' : 'signed'}`,
        },
      );
    }
    checkAttributes(csr);
    const statement = statementOf(csr, config.proofOid, this.deps.android.options.maxChainLength);
    const deviceName = deviceNameOf(csr, config.genericDeviceNameOid);
    const challenge = hashed ? hashBinding(csr, config.proofOid, config.dataAuth as 'HASH-SHA256') : nonce;

    const at = clock.now();
    const { result, attestedKey } = await this.verifyPlatform(statement, challenge, policy, at);

    const requestJwk = spkiToJwk(csr.spki);
    if (!(attestedKey.spki && sameBytes(csr.spki, attestedKey.spki)) && !sameJwk(requestJwk, attestedKey.jwk)) {
      throw trustError('ATTESTED_KEY_MISMATCH', 'The request is not for the attested key.');
    }
    if (
      csr.signature &&
      !verifySignature(csr.signature.algorithm, csr.info, csr.signature.value, this.requestKey(csr, requestJwk))
    ) {
      throw trustError('CSR_SIGNATURE_INVALID', 'The request is not signed by the attested key.');
    }

    await nonceBound(this.deps.challenges.consume(PURPOSE, nonce, policy.name));
    return this.issue(csr, nonce, policy, result, deviceName, at);
  }

  /** The platform result and the attested key: the leaf's for Android (SPKI and JWK), the clientData-bound key's for iOS (JWK). */
  private async verifyPlatform(
    statement: Statement,
    challenge: Buffer,
    policy: ResolvedPolicy,
    at: number,
  ): Promise<{ result: AttestationResult; attestedKey: { spki?: Uint8Array; jwk: JsonWebKey | undefined } }> {
    if (statement.typ === 'android-key') {
      const result = await this.deps.android.verify({ chain: statement.x5c, challenge, at, policy: policy.android });
      if (!result.publicKey.supported) {
        throw contentError(
          'UNSUPPORTED_KEY_ALGORITHM',
          `Public keys of type ${result.publicKey.algorithm} are not supported by this server.`,
        );
      }
      return { result, attestedKey: { spki: Buffer.from(result.publicKey.spki, 'base64'), jwk: result.publicKey.jwk } };
    }
    if (!policy.apple)
      throw contentError('PLATFORM_NOT_CONFIGURED', 'This server accepts no App Attest proofs for this policy.', {
        detail: 'no apple.appIds',
      });
    // Warden's emulated key attestation: clientData names the Secure Enclave key the CSR is for.
    const binding = parseEmulatedKeyClientData(statement.clientDataJSON, challenge);
    const result = policy.apple.verify({
      attestation: statement.attestation,
      clientData: statement.clientDataJSON,
      at,
    });
    return { result, attestedKey: { jwk: binding.jwk } };
  }

  /** The request's key, imported once for its signature (the one per-request import a flow needs). */
  private requestKey(csr: ParsedCsr, jwk: JsonWebKey | undefined): KeyObject {
    try {
      return importRequestKey(csr.spki, jwk);
    } catch {
      throw contentError('MALFORMED_CSR', 'The certificate request is malformed.', {
        detail: 'unusable subjectPKInfo',
      });
    }
  }

  private async issue(
    csr: ParsedCsr,
    nonce: Buffer,
    policy: ResolvedPolicy,
    result: AttestationResult,
    deviceName: string | undefined,
    at: number,
  ): Promise<WardenIssued> {
    const { config, ca } = this.deps;
    const subjectDer = this.subject
      ? this.subject({
          deviceName,
          platform: result.platform,
          policy: policy.name,
          nonce: nonce.toString('hex').toUpperCase(),
        })
      : csr.subjectDer;
    const issued = ca.issue({ spki: csr.spki, subjectDer, at, validityDays: config.certificate.validityDays });
    const record: BindingCertificateRecord = {
      serial: issued.serial,
      policy: policy.name,
      platform: result.platform,
      subject: (this.subject ? describeName(subjectDer) : csr.subject).slice(0, 1000),
      keyThumbprint: sha256Hex(csr.spki),
      summary: summarize(result, deviceName),
      issuedAt: issued.notBefore,
      notAfter: issued.notAfter,
    };
    try {
      await this.deps.certificates.record(record);
    } catch (error) {
      throw internalError('ISSUANCE_NOT_RECORDED', 'The certificate could not be issued; try again.', {
        cause: error,
        detail: (error as Error).message,
      });
    }
    this.deps.onIssued?.(record);
    return { chain: [issued.der.toString('base64url'), ...ca.chainTail], record };
  }

  /** The current CRL of the binding intermediate (revoked certificates that have not expired). */
  async crl(): Promise<Buffer> {
    const now = this.deps.clock.now();
    const revoked = await this.deps.certificates.revokedUnexpired(now);
    return this.deps.ca.crl(revoked, now, this.deps.config.ca.crlValidityHours);
  }

  /** Issued binding certificates, newest first, optionally only those of one key. */
  listCertificates(query: { limit: number; keyThumbprint?: string }): Promise<BindingCertificateRecord[]> {
    return this.deps.certificates.list(query);
  }

  /** Revokes a binding certificate (it appears on the next CRL) and returns its record; unknown serials are 404, revoked ones 409. */
  async revokeCertificate(serial: string, reason: string): Promise<BindingCertificateRecord> {
    const { certificates, clock } = this.deps;
    const outcome = await certificates.revoke(serial, reason, clock.now());
    if (outcome === 'unknown')
      throw contentError('CERTIFICATE_UNKNOWN', 'No binding certificate has this serial.', { status: 404 });
    if (outcome === 'already-revoked')
      throw contentError('CERTIFICATE_ALREADY_REVOKED', 'The certificate is already revoked.', { status: 409 });
    return (await certificates.find(serial))!;
  }
}

/** The facts an operator wants next to an issued certificate. */
function summarize(result: AttestationResult, deviceName: string | undefined): Record<string, unknown> {
  const summary: Record<string, unknown> = {
    securityLevel: result.securityLevel,
    anchor: result.anchor,
    app: result.app.ids,
  };
  if (result.keyStoreSecurityLevel) summary.keyStoreSecurityLevel = result.keyStoreSecurityLevel;
  if (result.bootState)
    summary.bootState = `${result.bootState.state}${result.bootState.locked ? ', locked' : ', unlocked'}`;
  if (result.osVersion) summary.osVersion = result.osVersion;
  if (result.osPatchLevel) summary.osPatchLevel = result.osPatchLevel;
  if (result.app.version !== undefined) summary.appVersion = result.app.version;
  if (typeof result.facts.rkp === 'boolean') summary.rkp = result.facts.rkp;
  if (typeof result.facts.environment === 'string') summary.environment = result.facts.environment;
  if (deviceName) summary.deviceName = deviceName;
  return summary;
}

/** Same key in different SPKI encodings (e.g. explicit vs named curve parameters). */
const sameJwk = (a: JsonWebKey | undefined, b: JsonWebKey | undefined) =>
  a !== undefined &&
  b !== undefined &&
  a.kty === b.kty &&
  a.crv === b.crv &&
  a.x === b.x &&
  a.y === b.y &&
  a.n === b.n &&
  a.e === b.e;
