import { SimulatedDsrDevice } from './dsr-device.js';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AppAttestEnvironment } from '../../attestation/apple/environment.js';
import { iosAssertionClientData } from '../../attestation/dsr/ios-device-attestation.js';
import { iosRegistrationClientData } from '../../attestation/dsr/ios-registration.js';
import { SimulatedAppleDevice } from '../apple/device.js';
import { AppleTestAuthority } from '../apple/test-authority.js';
import { DSR_IOS_APP_ID, DSR_SDK_ISSUER } from './app-identity.js';
import { MtlsIdentity, nonceBytes } from './mtls-identity.js';
import { registrationCsr } from './registration-csr.js';

/**
 * A simulated DSR iOS client (gematik poc-dsr-ios): at registration an mTLS key and an App Attest
 * key attested over SHA-256(nonce ‖ "INTEGRITY") ‖ sub; for each device attestation an assertion
 * over SHA-256(nonce ‖ "1") ‖ sub with an increasing counter. App Attest objects chain to the
 * simulator's App Attestation root (shipped roots by default). It presents the reference app
 * (A9FL89PFFL.de.gematik.dsr) on an iPhone15,2 with iOS 17, so the default master data and
 * policies allow it. For tests and demos only.
 */

export interface DsrIosDeviceOptions {
  /** The App Attest authority; default one under the shipped simulator roots. */
  authority?: AppleTestAuthority;
  appId?: string;
  /** App Attest environment (default production, what a server with default configuration expects). */
  environment?: AppAttestEnvironment;
  systemVersion?: string;
  systemModel?: string;
}

/** Deviations from a genuine registration, for refusal tests. */
export interface IosRegistrationVariant {
  /** Attest over another nonce's client data. */
  wrongChallenge?: boolean;
  wrongCsrChallenge?: boolean;
}

/** Deviations from a genuine device attestation, for refusal tests. */
export interface IosAttestationVariant {
  /** Assert over another nonce's client data. */
  wrongChallenge?: boolean;
  /** The assertion counter to use (default: one more than the last). */
  counter?: number;
}

export class SimulatedDsrIosDevice extends SimulatedDsrDevice {
  readonly platform = 'ios';
  readonly identifierForVendor = randomUUID().toUpperCase();
  private appAttest: SimulatedAppleDevice | undefined;

  private constructor(
    private readonly authority: AppleTestAuthority,
    private readonly options: DsrIosDeviceOptions,
  ) {
    super();
  }

  static async create(options: DsrIosDeviceOptions = {}): Promise<SimulatedDsrIosDevice> {
    const authority = options.authority ?? (await AppleTestAuthority.create({ roots: 'shipped' }));
    return new SimulatedDsrIosDevice(authority, options);
  }

  get appId(): string {
    return this.options.appId ?? DSR_IOS_APP_ID;
  }

  /** The App Attest key id (base64), after registration. */
  get keyId(): string | undefined {
    return this.appAttest?.keyId.toString('base64');
  }

  /**
   * The registration token's claims for the GMS nonce `nonce` (base64 as GET /dsr/nonce gives it)
   * at `at` (epoch ms), as the reference client writes them; a new mTLS key and App Attest key are
   * generated. Sign them with a SimulatedHealthCard.
   */
  async registrationClaims(
    nonce: string,
    at: number,
    variant: IosRegistrationVariant = {},
  ): Promise<Record<string, unknown>> {
    const bytes = nonceBytes(nonce);
    const mtls = new MtlsIdentity();
    const sub = Buffer.from(mtls.sub, 'base64');
    const appAttest = await SimulatedAppleDevice.create(this.authority, {
      appId: this.appId,
      environment: this.options.environment ?? 'production',
    });
    const clientData = iosRegistrationClientData(variant.wrongChallenge ? randomBytes(64) : bytes, sub);
    const attestation = await appAttest.attest(clientData, {
      at,
      os: { version: this.systemVersion, build: '21B74' },
    });
    const csr = registrationCsr(
      mtls,
      bytes,
      variant.wrongCsrChallenge ? randomBytes(32).toString('base64') : undefined,
    );
    this.mtls = mtls;
    this.appAttest = appAttest;
    return {
      iss: DSR_SDK_ISSUER,
      sub: mtls.sub,
      iat: Math.floor(at / 1000),
      type: 'iOS',
      nonce,
      csr: csr.toString('base64'),
      keyId: appAttest.keyId.toString('base64'),
      attestation: attestation.toString('base64'),
    };
  }

  /** The device-attestation token's claims (RFC-02) for `nonce` at `at`: an App Attest assertion, the device attributes. */
  async attestationClaims(
    nonce: string,
    at: number,
    variant: IosAttestationVariant = {},
  ): Promise<Record<string, unknown>> {
    const bytes = nonceBytes(nonce);
    const identity = this.identity;
    const sub = Buffer.from(identity.sub, 'base64');
    const clientData = iosAssertionClientData(variant.wrongChallenge ? randomBytes(64) : bytes, sub);
    const assertion = this.appAttest!.assert(
      clientData,
      variant.counter === undefined ? {} : { counter: variant.counter },
    );
    return {
      iss: DSR_SDK_ISSUER,
      sub: identity.sub,
      iat: Math.floor(at / 1000),
      type: 'iOS',
      nonce,
      assertion: assertion.toString('base64'),
      deviceAttributes: {
        systemName: 'iOS',
        systemVersion: this.systemVersion,
        systemModel: this.options.systemModel ?? 'iPhone15,2',
        identifierForVendor: this.identifierForVendor,
      },
    };
  }

  /** The device-attestation token: attestationClaims signed ES256 by the mTLS key, x5c = [client certificate]. */
  async attestationToken(nonce: string, at: number, variant: IosAttestationVariant = {}): Promise<string> {
    return this.identity.signAttestation(await this.attestationClaims(nonce, at, variant));
  }

  private get systemVersion(): string {
    return this.options.systemVersion ?? '17.1';
  }
}
