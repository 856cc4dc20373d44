import type { JsonWebKey } from 'node:crypto';
import { PROTOCOL_PURPOSES } from '../../challenges/purposes.js';
import type { Clock } from '../../clock.js';
import { trustError } from '../../errors.js';
import type { DsrRegistration } from '../../store/dsr-store.js';
import { type AttestationDependencies, attestDevice } from './attest-device.js';
import type { DsrAuthCodes } from './auth-codes.js';
import type { DeviceCertificates, DeviceClientCertificate } from './client-certificate.js';
import { type DeviceTokenSubject, issueDeviceToken } from './device-token.js';
import { type RegistrationDependencies, registerDevice } from './register-device.js';
import type { DsrSigningKeys } from './signing-keys.js';

/** One verification decision of the GMS, for logs and metrics. */
export interface DsrDecision {
  operation: 'register' | 'attest' | 'token';
  platform?: 'android' | 'ios';
  sub?: string;
  userId?: string;
  /** Trust anchors the platform attestation ended in. */
  anchors: string[];
}

export interface DsrServiceDependencies {
  clock: Clock;
  registration: RegistrationDependencies;
  attestation: AttestationDependencies;
  deviceCertificates: DeviceCertificates;
  authCodes: DsrAuthCodes<DeviceTokenSubject>;
  signingKeys: DsrSigningKeys;
  settings: { issuer: string; nonceTtlSeconds: number; tokenLifetimeSeconds: number };
  onDecision?(decision: DsrDecision): void;
}

/** A registration as the device-registrations route lists it (no key material). */
export interface RegistrationView {
  sub: string;
  userIdentifier: string;
  platform: 'android' | 'ios';
  certificateSerial: string;
  certificateNotAfter: string;
  registeredAt: string;
  facts: Record<string, unknown>;
}

export const registrationView = (registration: DsrRegistration): RegistrationView => ({
  sub: registration.sub,
  userIdentifier: registration.userId,
  platform: registration.platform,
  certificateSerial: registration.certificateSerial,
  certificateNotAfter: new Date(registration.certificateNotAfter).toISOString(),
  registeredAt: new Date(registration.createdAt).toISOString(),
  facts: registration.facts,
});

/**
 * The DSR device management service (GMS) of gematik's RFC-01 and RFC-02 (docs/protocols/dsr.md):
 * nonces, device registration with a health card, device attestation over mutual TLS, and the
 * PKCE exchange of an authorization code for a device token bound to the client certificate.
 */
export class DsrService {
  constructor(private readonly dependencies: DsrServiceDependencies) {}

  /** GET /dsr/nonce: 64 random bytes, standard base64, single use. */
  async nonce(): Promise<string> {
    const issued = await this.dependencies.registration.challenges.issue(PROTOCOL_PURPOSES.dsr, {
      bytes: 64,
      ttlSeconds: this.dependencies.settings.nonceTtlSeconds,
    });
    return issued.value.toString('base64');
  }

  /** POST /dsr/register-device: the client certificate (DER) for a verified registration token. */
  async register(token: string): Promise<{ cert: string; registration: DsrRegistration }> {
    const at = this.dependencies.clock.now();
    const registered = await registerDevice(this.dependencies.registration, token, at);
    this.dependencies.onDecision?.({
      operation: 'register',
      platform: registered.registration.platform,
      sub: registered.registration.sub,
      userId: registered.registration.userId,
      anchors: registered.anchors,
    });
    return { cert: registered.certificate.der.toString('base64'), registration: registered.registration };
  }

  /** The presented client certificate, checked against the device CA. */
  clientCertificate(der: Uint8Array | undefined): DeviceClientCertificate {
    if (!der) throw trustError('DSR_CLIENT_CERTIFICATE_MISSING', 'A client certificate is required.', { status: 401 });
    return this.dependencies.deviceCertificates.verify(der, this.dependencies.clock.now());
  }

  /** POST /dsr/device-attestation: an authorization code for the device token, and what it will say of the device. */
  async attest(
    token: string,
    codeChallenge: string,
    client: DeviceClientCertificate,
  ): Promise<{ code: string; subject: DeviceTokenSubject }> {
    const at = this.dependencies.clock.now();
    const attested = await attestDevice(this.dependencies.attestation, token, client, at);
    const { code } = await this.dependencies.authCodes.issue(codeChallenge, attested.subject);
    this.dependencies.onDecision?.({
      operation: 'attest',
      platform: attested.registration.platform,
      sub: attested.registration.sub,
      userId: attested.registration.userId,
      anchors: attested.anchors,
    });
    return { code, subject: attested.subject };
  }

  /**
   * POST /dsr/device-token: the device token for an authorization code and its PKCE verifier,
   * over the same client certificate the attestation came over (checked before the code is spent).
   */
  async token(
    code: string,
    codeVerifier: string,
    client: DeviceClientCertificate,
  ): Promise<{ token: string; subject: DeviceTokenSubject }> {
    const subject = await this.dependencies.authCodes.redeem(code, codeVerifier, (pending) => {
      if (pending.certificateThumbprint !== client.thumbprint)
        throw trustError(
          'DSR_CLIENT_CERTIFICATE_MISMATCH',
          'The authorization code was issued over another client certificate.',
        );
    });
    // A device removed since its attestation gets no token.
    if (!(await this.dependencies.attestation.registrations.bySub(subject.sub)))
      throw trustError('DSR_REGISTRATION_UNKNOWN', 'This device is not registered.', {
        status: 403,
        detail: `sub ${subject.sub} was removed after its attestation`,
      });
    const now = this.dependencies.clock.now();
    const issued = issueDeviceToken(this.dependencies.signingKeys, subject, {
      issuer: this.dependencies.settings.issuer,
      now,
      lifetimeSeconds: this.dependencies.settings.tokenLifetimeSeconds,
    });
    this.dependencies.onDecision?.({
      operation: 'token',
      sub: subject.sub,
      userId: subject.userIdentifier,
      anchors: [],
    });
    return { token: issued.token, subject };
  }

  /** The user the client certificate's device is registered to; `userIdentifier` must be that user. */
  private async ownUser(userIdentifier: string, client: DeviceClientCertificate): Promise<string> {
    const own = await this.dependencies.attestation.registrations.bySub(client.sub);
    if (!own)
      throw trustError('DSR_REGISTRATION_UNKNOWN', 'This device is not registered.', {
        status: 403,
        detail: `sub ${client.sub}`,
      });
    if (own.userId !== userIdentifier)
      throw trustError('DSR_USER_MISMATCH', 'The userIdentifier is not the user of this device.', {
        status: 403,
        detail: `certificate user ${own.userId}, asked for ${userIdentifier.slice(0, 40)}`,
      });
    return own.userId;
  }

  /** GET /dsr/device-registrations: the devices of the certificate's user. */
  async registrations(userIdentifier: string, client: DeviceClientCertificate): Promise<RegistrationView[]> {
    const user = await this.ownUser(userIdentifier, client);
    return (await this.dependencies.attestation.registrations.byUser(user)).map(registrationView);
  }

  /** DELETE /dsr/device-registrations: removes every device of the certificate's user; how many. */
  async deleteRegistrations(userIdentifier: string, client: DeviceClientCertificate): Promise<number> {
    const user = await this.ownUser(userIdentifier, client);
    return this.dependencies.attestation.registrations.deleteByUser(user);
  }

  /** Operators: registrations, newest first. */
  registrationsPage(options: { limit: number; offset?: number; userId?: string; platform?: 'android' | 'ios' }) {
    return this.dependencies.attestation.registrations.list(options);
  }

  /** Operators: removes one registration (and its App Attest key). */
  removeRegistration(sub: string): Promise<boolean> {
    return this.dependencies.attestation.registrations.delete(sub);
  }

  /** GET /dsr/jwks.json. */
  jwks(): { keys: JsonWebKey[] } {
    return this.dependencies.signingKeys.jwks;
  }
}
