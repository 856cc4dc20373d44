import { randomBytes } from 'node:crypto';
import { parseAssertionResponse, parseRegistrationResponse } from '../../attestation/webauthn/response-json.js';
import { verifyAssertion } from '../../attestation/webauthn/verify-assertion.js';
import type {
  AttestationMode,
  RegistrationExpectations,
  WebAuthnRegistrationInput,
  WebAuthnRegistrationResult,
} from '../../attestation/webauthn/types.js';
import type { ChallengeService } from '../../challenges/challenge-service.js';
import { PROTOCOL_PURPOSES } from '../../challenges/purposes.js';
import type { Clock } from '../../clock.js';
import type { Conveyance, Requirement } from '../../config/fido2.js';
import { contentError, trustError } from '../../errors.js';
import type {
  CredentialAttestation,
  CredentialListQuery,
  CredentialListing,
  WebAuthnCredential,
  WebAuthnCredentialStore,
  WebAuthnUser,
  WebAuthnUserStore,
} from '../../store/webauthn-store.js';
import {
  type Ceremony,
  NONCE_BYTES,
  ceremonyChallenge,
  ceremonySubject,
  challengeOfClientData,
  readCeremonyChallenge,
} from './ceremony-challenge.js';
import type { RelyingParty } from './relying-party.js';
import { assertExtensionsBounded, normaliseUserName } from './request-bounds.js';
import type {
  AssertionResultReply,
  AttestationResultReply,
  CreationOptionsReply,
  CreationOptionsRequest,
  GetOptionsReply,
  GetOptionsRequest,
} from './schemas.js';

const PURPOSE = PROTOCOL_PURPOSES.fido2;

/** The ceremony settings of fido2.* the service reads. */
export interface Fido2Settings {
  timeoutMs: { registration: number; authentication: number };
  attestation: Conveyance;
  userVerification: Requirement;
  residentKey: Requirement;
  algorithms: readonly number[];
  allowAdditionalCredentials: boolean;
}

export interface Fido2Dependencies {
  settings: Fido2Settings;
  /** The effective attestation mode (disabled asks for no attestation). */
  mode: AttestationMode;
  relyingParty: () => RelyingParty;
  clock: Clock;
  challenges: ChallengeService;
  users: WebAuthnUserStore;
  credentials: WebAuthnCredentialStore;
  /** Verifies registrations (WebAuthnVerifier). */
  registrations: {
    verifyRegistration(
      input: WebAuthnRegistrationInput,
      expect: RegistrationExpectations,
      at: number,
    ): Promise<WebAuthnRegistrationResult>;
  };
  /** Called after every registration is stored (the server logs it, loudly for simulated authenticators). */
  onRegistered?(credential: WebAuthnCredential, result: WebAuthnRegistrationResult): void;
  /** Called when a signature counter regression flags a credential. */
  onPossiblyCloned?(credential: WebAuthnCredential, counter: number): void;
}

const descriptor = (credential: WebAuthnCredential) => ({
  type: 'public-key' as const,
  id: credential.credentialId,
  ...(credential.transports.length > 0 ? { transports: credential.transports } : {}),
});

const ok = { status: 'ok' as const, errorMessage: '' };

/** Random bytes of a new user's handle (WebAuthn user.id, at most 64). */
const USER_HANDLE_BYTES = 32;

/** The client extension outputs of a result body, bounded before anything else reads the body. */
function assertResponseExtensionsBounded(body: unknown): void {
  if (body === null || typeof body !== 'object') return;
  const { clientExtensionResults, getClientExtensionResults } = body as Record<string, unknown>;
  assertExtensionsBounded(clientExtensionResults, 'clientExtensionResults');
  assertExtensionsBounded(getClientExtensionResults, 'getClientExtensionResults');
}

/**
 * The WebAuthn relying party (docs/protocols/webauthn.md): options and results of registration and
 * sign-in in the server-conformance API's terms, and the operators' view of credentials.
 *
 * Each ceremony's challenge is a nonce of the challenge service followed by the ceremony it was
 * issued for (ceremony-challenge.ts), bound as the challenge's subject: a result is checked
 * against the user, user-verification requirement and algorithms its options were issued with,
 * never against what the client claims. The nonce is checked first and consumed only once the
 * response verified, so a third party who saw it cannot burn it with a bad response, and exactly
 * one response per challenge is accepted.
 */
export class Fido2Service {
  constructor(private readonly deps: Fido2Dependencies) {}

  /**
   * POST /fido2/attestation/options: the options to create a credential with. A user name without
   * a user gets a fresh user handle, remembered as pending until the challenge expires: the user row
   * is created only when a registration result verifies (registrationResult).
   */
  async registrationOptions(request: CreationOptionsRequest): Promise<CreationOptionsReply> {
    const { settings, clock, users, credentials } = this.deps;
    // Everything the request could be refused for is checked before anything is written.
    const userName = normaliseUserName(request.username);
    assertExtensionsBounded(request.extensions);
    const existingUser = await users.byName(userName);
    const existing = existingUser ? await credentials.listByUser(existingUser.userHandle) : [];
    this.assertMayAddCredential(existing);
    const selection = request.authenticatorSelection ?? {};
    const residentKey =
      selection.residentKey ?? (selection.requireResidentKey === true ? 'required' : settings.residentKey);
    const userVerification = this.userVerification(selection.userVerification);
    const timeout = settings.timeoutMs.registration;
    const now = clock.now();
    // A name whose registration is under way keeps the handle its first options gave it.
    const user = existingUser ??
      (await users.pendingByName(userName, now)) ?? {
        userHandle: randomBytes(USER_HANDLE_BYTES).toString('base64url'),
        userName,
        displayName: request.displayName ?? userName,
      };
    if (!existingUser) await users.reservePending({ ...user, expiresAt: now + timeout }, now);
    const ceremony: Ceremony = {
      kind: 'registration',
      userHandle: user.userHandle,
      userVerification,
      algorithms: settings.algorithms,
    };
    const challenge = await this.issue(ceremony, timeout);
    const rp = this.deps.relyingParty();
    return {
      ...ok,
      rp: { id: rp.id, name: rp.name },
      user: { id: user.userHandle, name: user.userName, displayName: user.displayName },
      challenge: challenge.toString('base64url'),
      pubKeyCredParams: settings.algorithms.map((alg) => ({ type: 'public-key' as const, alg })),
      timeout,
      excludeCredentials: existing.map(descriptor),
      authenticatorSelection: {
        ...(selection.authenticatorAttachment ? { authenticatorAttachment: selection.authenticatorAttachment } : {}),
        residentKey,
        requireResidentKey: residentKey === 'required',
        userVerification,
      },
      attestation: this.deps.mode === 'disabled' ? 'none' : (request.attestation ?? settings.attestation),
      // credProps tells whether the credential is discoverable (recorded with it).
      extensions: { credProps: true, ...request.extensions },
    };
  }

  /** POST /fido2/attestation/result: verifies the registration and stores the credential. */
  async registrationResult(body: unknown): Promise<AttestationResultReply> {
    const { clock, challenges, credentials } = this.deps;
    assertResponseExtensionsBounded(body);
    const response = parseRegistrationResponse(body);
    const { challenge, nonce, ceremony, subject } = this.ceremonyOf(response.clientDataJSON, 'registration');
    await challenges.check(PURPOSE, nonce, subject);
    const userHandle = ceremony.userHandle!;
    const { users, settings } = this.deps;
    // The user the options were issued for: an existing one, or one pending since the options.
    const user = (await users.byHandle(userHandle)) ?? (await users.pending(userHandle, clock.now()));
    if (!user)
      throw contentError('WEBAUTHN_USER_UNKNOWN', 'The user of this registration no longer exists.', {
        detail: `user handle ${userHandle}`,
      });
    this.assertMayAddCredential(await credentials.listByUser(userHandle));

    const at = clock.now();
    const rp = this.deps.relyingParty();
    const result = await this.deps.registrations.verifyRegistration(
      response,
      {
        challenge,
        origins: rp.origins,
        rpId: rp.id,
        requireUserVerification: ceremony.userVerification === 'required',
        requireUserPresence: true,
        algorithms: ceremony.algorithms,
      },
      at,
    );
    // The verifier checked that the response's id is the attested credential id.
    const credentialId = response.id;
    if (await credentials.get(credentialId))
      throw contentError('CREDENTIAL_ALREADY_REGISTERED', 'This credential is already registered.', {
        detail: `credential ${credentialId.slice(0, 64)}`,
      });

    await challenges.consume(PURPOSE, nonce, subject);
    // A pending user becomes a user now, with the handle its options were issued with, unless another
    // registration for the same name got there first (with another handle).
    const stored = await users.ensureWithHandle(userHandle, user.userName, user.displayName, at);
    if (stored.userHandle !== userHandle)
      throw contentError(
        'WEBAUTHN_USER_NAME_TAKEN',
        'Another registration created this user name meanwhile; request new registration options.',
        { detail: `user handle ${userHandle}, user name taken by ${stored.userHandle}` },
      );
    const credential: WebAuthnCredential = {
      credentialId,
      userHandle,
      publicKey: result.publicKeyBytes,
      alg: result.publicKey.alg,
      counter: result.counter,
      transports: response.transports ?? [],
      aaguid: result.aaguid,
      fmt: result.fmt,
      attestationType: result.attestationType,
      trust: result.trust,
      attestation: this.attestationRecord(result),
      metadata: result.metadata,
      userVerified: result.userVerified,
      backupEligible: result.backupEligible,
      backedUp: result.backedUp,
      ...discoverability(response.clientExtensionResults),
      createdAt: at,
    };
    // Off, the store refuses a second credential atomically (concurrent first registrations included).
    if (settings.allowAdditionalCredentials) await credentials.create(credential);
    else await credentials.createFirst(credential);
    this.deps.onRegistered?.(credential, result);
    return {
      ...ok,
      credentialId,
      userHandle,
      fmt: result.fmt,
      attestationType: result.attestationType,
      trust: result.trust,
      aaguid: result.aaguid,
      userVerified: result.userVerified,
      backupEligible: result.backupEligible,
      backedUp: result.backedUp,
      metadata: result.metadata,
      warnings: result.warnings,
    };
  }

  /** POST /fido2/assertion/options: for a user name its credentials, without one a sign-in with a discoverable credential. */
  async authenticationOptions(request: GetOptionsRequest): Promise<GetOptionsReply> {
    const { settings, users, credentials } = this.deps;
    assertExtensionsBounded(request.extensions);
    let user: WebAuthnUser | undefined;
    let allowed: WebAuthnCredential[] = [];
    if (request.username) {
      const userName = normaliseUserName(request.username);
      user = await users.byName(userName);
      if (!user) {
        // A name whose registration is under way has a user-to-be, without credentials.
        if (await users.pendingByName(userName, this.deps.clock.now()))
          throw contentError('WEBAUTHN_NO_CREDENTIALS', 'The user has no registered credentials.');
        throw contentError('WEBAUTHN_USER_UNKNOWN', 'No user has this user name.');
      }
      allowed = await credentials.listByUser(user.userHandle);
      if (allowed.length === 0)
        throw contentError('WEBAUTHN_NO_CREDENTIALS', 'The user has no registered credentials.');
    }
    const userVerification = this.userVerification(request.userVerification);
    const ceremony: Ceremony = {
      kind: 'authentication',
      ...(user ? { userHandle: user.userHandle } : {}),
      userVerification,
      algorithms: [],
    };
    const timeout = settings.timeoutMs.authentication;
    const challenge = await this.issue(ceremony, timeout);
    return {
      ...ok,
      challenge: challenge.toString('base64url'),
      timeout,
      rpId: this.deps.relyingParty().id,
      allowCredentials: allowed.map(descriptor),
      userVerification,
      ...(request.extensions ? { extensions: request.extensions } : {}),
    };
  }

  /** POST /fido2/assertion/result: verifies the assertion and records the use (counter, last use, backup state). */
  async authenticationResult(body: unknown): Promise<AssertionResultReply> {
    const { clock, challenges, credentials } = this.deps;
    assertResponseExtensionsBounded(body);
    const response = parseAssertionResponse(body);
    const { challenge, nonce, ceremony, subject } = this.ceremonyOf(response.clientDataJSON, 'authentication');
    await challenges.check(PURPOSE, nonce, subject);

    const credential = await credentials.get(response.id);
    if (!credential)
      throw trustError('CREDENTIAL_UNKNOWN', 'The credential is not registered.', {
        detail: `credential ${response.id.slice(0, 64)}`,
      });
    const responseHandle = response.userHandle ? Buffer.from(response.userHandle).toString('base64url') : undefined;
    if (ceremony.userHandle !== undefined && credential.userHandle !== ceremony.userHandle)
      throw trustError('CREDENTIAL_NOT_ALLOWED', 'The credential is not one the sign-in was offered for.', {
        detail: `credential of ${credential.userHandle}, options for ${ceremony.userHandle}`,
      });
    if (ceremony.userHandle === undefined && responseHandle === undefined)
      throw contentError('USER_HANDLE_MISSING', 'A sign-in without a user name needs the user handle.');
    if (responseHandle !== undefined && responseHandle !== credential.userHandle)
      throw trustError('USER_HANDLE_MISMATCH', 'The user handle is not the credential’s user.', {
        detail: `user handle ${responseHandle}, credential of ${credential.userHandle}`,
      });
    if (credential.possiblyClonedAt !== undefined)
      throw trustError('CREDENTIAL_POSSIBLY_CLONED', 'The credential is blocked: it may have been cloned.', {
        detail: `flagged at ${new Date(credential.possiblyClonedAt).toISOString()}`,
      });

    const rp = this.deps.relyingParty();
    const result = verifyAssertion(
      response,
      {
        challenge,
        origins: rp.origins,
        rpId: rp.id,
        requireUserVerification: ceremony.userVerification === 'required',
      },
      { publicKey: credential.publicKey, counter: credential.counter, backupEligible: credential.backupEligible },
    );
    const at = clock.now();
    if (result.counterRegressed) {
      await credentials.flagPossiblyCloned(credential.credentialId, at);
      this.deps.onPossiblyCloned?.(credential, result.counter);
      throw trustError('SIGN_COUNT_REGRESSED', 'The authenticator may have been cloned; the credential is blocked.', {
        detail: `signature counter ${result.counter}, stored ${credential.counter}`,
      });
    }

    await challenges.consume(PURPOSE, nonce, subject);
    const recorded = await credentials.recordUse(credential.credentialId, {
      expectedCounter: credential.counter,
      counter: result.counter,
      at,
      backedUp: result.backedUp,
    });
    if (!recorded)
      throw trustError('CREDENTIAL_USE_CONFLICT', 'The credential was used by another sign-in at the same time.', {
        detail: `stored counter ${credential.counter} changed before ${result.counter} could be recorded`,
      });
    const user = await this.deps.users.byHandle(credential.userHandle);
    return {
      ...ok,
      credentialId: credential.credentialId,
      userHandle: credential.userHandle,
      userName: user?.userName ?? '',
      counter: result.counter,
      userVerified: result.userVerified,
      backedUp: result.backedUp,
    };
  }

  /** Registered credentials, newest first, with their users' names. */
  listCredentials(query: CredentialListQuery): Promise<CredentialListing> {
    // User names are stored in NFC (normaliseUserName).
    return this.deps.credentials.list(
      query.userName === undefined ? query : { ...query, userName: query.userName.normalize('NFC') },
    );
  }

  /** One credential with its user's name; CREDENTIAL_NOT_FOUND (404) when there is none. */
  async credential(credentialId: string): Promise<WebAuthnCredential & { userName: string }> {
    const credential = await this.deps.credentials.get(credentialId);
    if (!credential) throw notFound(credentialId);
    const user = await this.deps.users.byHandle(credential.userHandle);
    return { ...credential, userName: user?.userName ?? '' };
  }

  /** Deletes a credential (its user can no longer sign in with it); CREDENTIAL_NOT_FOUND (404) when there is none. */
  async deleteCredential(credentialId: string): Promise<void> {
    if (!(await this.deps.credentials.delete(credentialId))) throw notFound(credentialId);
  }

  /**
   * The user verification a ceremony requires: what the request asks for, else fido2.userVerification.
   * A configured `required` is a floor no request lowers (the challenge binds what is returned here).
   */
  private userVerification(requested: Requirement | undefined): Requirement {
    const configured = this.deps.settings.userVerification;
    return configured === 'required' ? 'required' : (requested ?? configured);
  }

  private async issue(ceremony: Ceremony, timeoutMs: number): Promise<Buffer> {
    const issued = await this.deps.challenges.issue(PURPOSE, {
      subject: ceremonySubject(ceremony),
      bytes: NONCE_BYTES,
      ttlSeconds: Math.ceil(timeoutMs / 1000),
    });
    return ceremonyChallenge(issued.value, ceremony);
  }

  /** The challenge a response answers, and the ceremony it was issued for, which must be `kind`. */
  private ceremonyOf(clientDataJSON: Uint8Array, kind: Ceremony['kind']) {
    const challenge = challengeOfClientData(clientDataJSON);
    const { nonce, ceremony } = readCeremonyChallenge(challenge);
    if (ceremony.kind !== kind)
      throw contentError('CEREMONY_MISMATCH', 'The challenge was issued for another ceremony.', {
        detail: `a ${ceremony.kind} challenge in a ${kind} response`,
      });
    return { challenge, nonce, ceremony, subject: ceremonySubject(ceremony) };
  }

  private assertMayAddCredential(existing: readonly WebAuthnCredential[]): void {
    if (existing.length > 0 && !this.deps.settings.allowAdditionalCredentials)
      throw trustError('ADDITIONAL_CREDENTIAL_REFUSED', 'This user name already has a registered credential.');
  }

  /** What the registration's attestation came to, for the credential record. */
  private attestationRecord(result: WebAuthnRegistrationResult): CredentialAttestation {
    return {
      outcome: attestationOutcome(this.deps.mode, result),
      ...(result.anchor !== undefined ? { anchor: result.anchor } : {}),
      trustPath: result.trustPath,
      warnings: result.warnings,
      facts: jsonSafe(result.facts) as Record<string, unknown>,
    };
  }
}

const notFound = (credentialId: string) =>
  contentError('CREDENTIAL_NOT_FOUND', 'No registered credential has this id.', {
    status: 404,
    detail: `credential ${credentialId.slice(0, 64)}`,
  });

/**
 * `skipped` (attestation mode disabled), `none` (the authenticator attested nothing), `self`
 * (signed by the credential key itself), `trusted` (the chain reached a metadata or configured
 * root) or `untrusted` (a valid statement whose chain reached no trusted root; monitor mode).
 */
function attestationOutcome(mode: AttestationMode, result: WebAuthnRegistrationResult): string {
  if (mode === 'disabled') return 'skipped';
  if (result.attestationType === 'none' || result.attestationType === 'self') return result.attestationType;
  return result.trust === 'none' ? 'untrusted' : 'trusted';
}

/** The client's credProps output (credential properties extension): whether the credential is discoverable. */
function discoverability(extensions: unknown): { discoverable?: boolean } {
  const rk = (extensions as { credProps?: { rk?: unknown } } | undefined)?.credProps?.rk;
  return typeof rk === 'boolean' ? { discoverable: rk } : {};
}

/** Facts as JSON the store can keep: byte strings as base64url, big integers as text, maps as objects, getters read once. */
function jsonSafe(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, function (this: Record<string, unknown>, key, item: unknown) {
      // The holder's own value: a Buffer's toJSON has already run on `item`.
      const original = this[key];
      if (typeof original === 'bigint') return original.toString();
      if (original instanceof Uint8Array) return Buffer.from(original).toString('base64url');
      if (original instanceof Map) return Object.fromEntries(original);
      return item;
    }),
  );
}
