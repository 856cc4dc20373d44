import { Tag } from 'cbor2';
import { androidVerifier } from '../../../../test/helpers/android.js';
import { TrustAnchors } from '../../../crypto/x509/chain.js';
import { fullDate } from '../../../features/provisioning/issuer/element-value.js';
import {
  generateIssuerCaDirectory,
  issuerCaFilesFromDirectory,
  loadDocumentSigner,
} from '../../../features/provisioning/issuer/issuer-ca-directory.js';
import type { DocumentData, NamespaceEntry } from '../../../features/provisioning/protocol/data.js';
import { AndroidDeviceSimulator } from '../../android/device.js';
import { InProcessIssuer, type InProcessIssuerOptions } from './in-process-issuer.js';

/** The reference test data's shape (PROTOCOLS.md §7): Erika Mustermann's mDL, code 1001. */
export const MDL = 'org.iso.18013.5.1.mDL';
export const MDL_NS = 'org.iso.18013.5.1';
export const AAMVA_NS = 'org.aamva.18013.5.1';
const PORTRAIT = new Uint8Array(Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex'));

const entry = (name: string, value: unknown): NamespaceEntry => ({ name, value, accessControlProfiles: [0] });

export function erika(givenName = 'Erika'): DocumentData {
  return {
    docType: MDL,
    accessControlProfiles: [{ id: 0 }],
    nameSpaces: new Map([
      [
        MDL_NS,
        [
          entry('family_name', 'Mustermann'),
          entry('given_name', givenName),
          entry('birth_date', fullDate('1971-09-01')),
          entry('issuing_country', 'DE'),
          entry('portrait', PORTRAIT),
          entry('age_over_18', true),
          entry('driving_privileges', [
            new Map<string, unknown>([
              ['vehicle_category_code', 'B'],
              ['issue_date', fullDate('2020-03-01')],
              ['expiry_date', fullDate('2035-02-28')],
              ['codes', [new Map([['code', '96']])]],
            ]),
          ]),
        ],
      ],
      [AAMVA_NS, [entry('real_id', true), entry('DHS_compliance', 'F')]],
    ]),
  };
}

export interface IssuerWorld {
  device: AndroidDeviceSimulator;
  iacaPem: string;
  anchors: TrustAnchors;
  issuer: (options?: Partial<InProcessIssuerOptions>) => InProcessIssuer;
}

/** A simulated device trusted by an Android verifier, an issuer CA, and issuers over the test data. */
export async function issuerWorld(at: number): Promise<IssuerWorld> {
  const device = await AndroidDeviceSimulator.create({ root: 'generated', at });
  const verifier = androidVerifier({}, TrustAnchors.fromPem(device.rootPem, 'simulated android root'));
  const directory = generateIssuerCaDirectory(
    { country: 'DE', organization: 'Keyward Test Issuer', crlUrl: 'https://issuer.example/crl/iaca.crl' },
    at - 86_400_000,
  );
  const iacaPem = directory['iaca.pem']!;
  const signer = loadDocumentSigner(issuerCaFilesFromDirectory(directory), { at });
  return {
    device,
    iacaPem,
    anchors: new TrustAnchors(TrustAnchors.fromPem(iacaPem, 'test IACA')),
    issuer: (options = {}) =>
      new InProcessIssuer({ verifier, signer, documents: new Map([['1001', erika()]]), ...options }),
  };
}

/** Decoded value's tag number, for assertions on full-date values. */
export const tagOf = (value: unknown) => (value instanceof Tag ? Number(value.tag) : undefined);
