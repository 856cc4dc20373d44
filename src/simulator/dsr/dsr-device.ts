import type { KeyObject } from 'node:crypto';
import type { MtlsIdentity } from './mtls-identity.js';

/** What the simulated Android and iOS DSR devices share: the mTLS identity of their last registration. */
export abstract class SimulatedDsrDevice {
  protected mtls: MtlsIdentity | undefined;

  /** The mTLS identity of the last registration (key, sub, client certificate). */
  get identity(): MtlsIdentity {
    if (!this.mtls) throw new TypeError('the device is not registered: call registrationClaims first');
    return this.mtls;
  }

  get sub(): string {
    return this.identity.sub;
  }
  get mtlsPrivateKey(): KeyObject {
    return this.identity.privateKey;
  }
  get mtlsPrivateKeyPem(): string {
    return this.identity.privateKeyPem;
  }
  get certificate(): Buffer | undefined {
    return this.mtls?.certificate;
  }
  get certificatePem(): string | undefined {
    return this.mtls?.certificatePem;
  }

  /** Keeps the client certificate register-device returned (DER, or its base64). */
  acceptCertificate(certificate: Uint8Array | string): Buffer {
    return this.identity.accept(certificate);
  }
}
