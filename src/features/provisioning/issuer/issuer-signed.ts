import type { KeyObject } from 'node:crypto';
import { signCoseSign1 } from '../../../crypto/cose/sign1.js';
import type { ParsedCertificate } from '../../../crypto/x509/certificate.js';
import { canonicalCbor, RawCbor } from './canonical-cbor.js';
import {
  createIssuerSignedItem,
  issuerSignedItemBytes,
  itemDigest,
  randomDigestIds,
  type IssuerSignedItem,
} from './issuer-signed-item.js';
import { buildMso, type MobileSecurityObject, type MsoValidity } from './mso.js';
import { encodeStaticAuthData } from './static-auth-data.js';

/** Data elements by namespace, then by element identifier (see ElementValue for the values). */
export type NameSpacedData =
  | Readonly<Record<string, Readonly<Record<string, unknown>>>>
  | ReadonlyMap<string, ReadonlyMap<string, unknown>>;

export interface IssueMdocRequest {
  docType: string;
  nameSpaces: NameSpacedData;
  /** The holder's authentication key (public, EC P-256/384/521): the MSO's deviceKey. */
  deviceKey: KeyObject;
  /** The document signer: its key signs, its certificate goes in x5chain. */
  signer: { key: KeyObject; certificate: ParsedCertificate };
  validity: MsoValidity;
  /** Salt length per item, at least 16; 32 by default. */
  saltLength?: number;
}

export interface IssuedMdoc {
  /** IssuerSigned = {"nameSpaces": {ns: [+ IssuerSignedItemBytes]}, "issuerAuth": COSE_Sign1}, encoded. */
  issuerSigned: Uint8Array;
  /** The items by namespace, in input order. */
  nameSpaces: Map<string, IssuerSignedItem[]>;
  /** The COSE_Sign1 over the MSO, as signed. */
  issuerAuth: Uint8Array;
  mso: MobileSecurityObject;
  /** StaticAuthData for the device key (PROTOCOLS.md §7). */
  staticAuthData: Uint8Array;
}

/**
 * Issues one mdoc for one device key: an IssuerSignedItem per element (fresh salt, random digest
 * ID unique in its namespace), the MSO over their digests, issuerAuth = COSE_Sign1 (ES256 for a
 * P-256 document signer) with the document signer certificate in x5chain (label 33, unprotected),
 * and the StaticAuthData the holder stores with the key. Every structure is canonical CBOR.
 */
export function issueMdoc(request: IssueMdocRequest): IssuedMdoc {
  const nameSpaces = new Map<string, IssuerSignedItem[]>();
  const itemBytes = new Map<string, Uint8Array[]>();
  const valueDigests = new Map<string, Map<number, Uint8Array>>();
  for (const [nameSpace, elements] of entries(request.nameSpaces)) {
    const list = entries(elements as Elements);
    if (nameSpace === '' || list.length === 0) throw new TypeError(`namespace "${nameSpace}" is empty`);
    const ids = randomDigestIds(list.length);
    const items = list.map(([identifier, value], index) =>
      createIssuerSignedItem(ids[index]!, identifier, value, request.saltLength),
    );
    const bytes = items.map(issuerSignedItemBytes);
    nameSpaces.set(nameSpace, items);
    itemBytes.set(nameSpace, bytes);
    valueDigests.set(nameSpace, new Map(items.map((item, index) => [item.digestID, itemDigest(bytes[index]!)])));
  }
  if (nameSpaces.size === 0) throw new TypeError('an mdoc needs at least one namespace');
  const { mso, payload } = buildMso({
    docType: request.docType,
    valueDigests,
    deviceKey: request.deviceKey,
    validity: request.validity,
  });
  const issuerAuth = signCoseSign1({
    payload,
    key: request.signer.key,
    x5chain: [request.signer.certificate.der],
  });
  const issuerSigned = canonicalCbor(
    new Map<string, unknown>([
      ['nameSpaces', new Map([...itemBytes].map(([nameSpace, list]) => [nameSpace, list.map((b) => new RawCbor(b))]))],
      ['issuerAuth', new RawCbor(issuerAuth)],
    ]),
  );
  return { issuerSigned, nameSpaces, issuerAuth, mso, staticAuthData: encodeStaticAuthData(nameSpaces, issuerAuth) };
}

type Elements = Readonly<Record<string, unknown>> | ReadonlyMap<string, unknown>;

const entries = (value: Elements): Array<[string, unknown]> =>
  value instanceof Map ? [...value] : Object.entries(value);
