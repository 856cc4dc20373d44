import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readAsset } from '../../assets.js';
import { signBrainpoolJws } from '../../crypto/jose/brainpool-jws.js';
import { pemCertificates } from '../../crypto/x509/certificate.js';
import {
  buildCertificate,
  encodeName,
  extensions,
  keyIdentifier,
  randomSerial,
} from '../../crypto/x509/certificate-builder.js';
import { NAME_OIDS } from '../../crypto/x509/names.js';
import { parseCertificate } from '../../crypto/x509/certificate.js';

/**
 * A simulated health card (eGK) for DSR registrations: a brainpoolP256r1 key and its certificate,
 * issued by the simulator card CA in assets/simulator (dsr-card-ca.pem, trusted only with
 * `--trust-simulator-roots`) or by a CA the caller passes. It signs registration tokens with
 * BP256R1 as gematik's clients have the card do. For tests and demos only.
 */

/** A card CA: its certificate (DER) and brainpoolP256r1 private key. */
export interface CardAuthority {
  certificate: Buffer;
  privateKey: KeyObject;
}

let shipped: CardAuthority | undefined;

/** The published simulator card CA (assets/simulator/dsr-card-ca.pem and .key.pem). */
export function simulatorCardAuthority(): CardAuthority {
  shipped ??= {
    certificate: pemCertificates(readAsset('simulator/dsr-card-ca.pem'))[0]!,
    privateKey: createPrivateKey(readAsset('simulator/dsr-card-ca.key.pem')),
  };
  return shipped;
}

export interface SimulatedHealthCardOptions {
  /** The insured person's KVNR (the OU the GMS takes as user id); default X110000001. */
  kvnr?: string;
  /** The insurer's IK number (the all-digit OU); default 109500969. */
  insurerNumber?: string;
  insurerName?: string;
  holderName?: string;
  /** Certificate validity, epoch ms (default 2020-01-01 .. 2059-12-31, inside the CA's). */
  notBefore?: number;
  notAfter?: number;
  /** The issuing CA; default the simulator card CA. */
  authority?: CardAuthority;
}

export const DEFAULT_KVNR = 'X110000001';

export class SimulatedHealthCard {
  readonly kvnr: string;
  /** The card certificate (DER), the registration token's x5c. */
  readonly certificate: Buffer;
  /** The issuing CA's certificate (DER). */
  readonly caCertificate: Buffer;
  private readonly privateKey: KeyObject;

  constructor(options: SimulatedHealthCardOptions = {}) {
    const authority = options.authority ?? simulatorCardAuthority();
    const ca = parseCertificate(authority.certificate);
    const keys = generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' });
    const spki = keys.publicKey.export({ format: 'der', type: 'spki' });
    this.kvnr = options.kvnr ?? DEFAULT_KVNR;
    this.privateKey = keys.privateKey;
    this.caCertificate = authority.certificate;
    this.certificate = buildCertificate(
      {
        serial: randomSerial(),
        // The eGK authentication certificate's subject: C, O (insurer), OU (IK number), OU (KVNR), CN.
        subjectDer: encodeName([
          [NAME_OIDS.C, 'DE'],
          [NAME_OIDS.O, options.insurerName ?? 'Keyward Simulator Krankenkasse NOT-VALID'],
          [NAME_OIDS.OU, options.insurerNumber ?? '109500969'],
          [NAME_OIDS.OU, this.kvnr],
          [NAME_OIDS.CN, options.holderName ?? 'Erika Mustermann TEST-ONLY'],
        ]),
        spki,
        notBefore: options.notBefore ?? Date.parse('2020-01-01T00:00:00Z'),
        notAfter: options.notAfter ?? Date.parse('2059-12-31T00:00:00Z'),
        extensions: [
          extensions.basicConstraints(false),
          extensions.keyUsage(0),
          extensions.subjectKeyIdentifier(keyIdentifier(spki)),
          extensions.authorityKeyIdentifier(keyIdentifier(ca.spki)),
        ],
      },
      { key: authority.privateKey, subjectDer: ca.subjectDer, keyIdentifier: keyIdentifier(ca.spki) },
    );
  }

  /** A registration token: `claims` signed BP256R1 by the card, x5c = [card certificate]. */
  sign(claims: object): string {
    return signBrainpoolJws(claims, this.privateKey, [this.certificate]);
  }
}
