import { type KeyObject, randomBytes } from 'node:crypto';
import { Tag } from 'cbor2';
import { signCoseSign1 } from '../../crypto/cose/sign1.js';
import {
  canonicalCbor,
  embeddedCbor,
  ENCODED_CBOR_TAG,
  RawCbor,
} from '../../features/provisioning/issuer/canonical-cbor.js';
import { decodePlain, plainCbor } from './wire.js';

/**
 * What the holder shows a reader (ISO 18013-5): the IssuerSigned it rebuilds from a
 * StaticAuthData and the data values it kept, and a DeviceResponse signed with an auth key.
 *
 * Rebuilding, as the Android holder does: each digestIdMapping entry is #6.24(IssuerSignedItem
 * with elementValue null); the holder puts the value back and re-encodes the item canonically,
 * so the result matches the MSO digest only when the issuer encoded it canonically too.
 */

const canonical = (value: unknown) => canonicalCbor(plainCbor(value));

/** namespace → element identifier → value, as provisioned. */
export type HeldValues = ReadonlyMap<string, ReadonlyMap<string, unknown>>;

/** Which elements to disclose: namespace → element identifiers (all when absent). */
export type Disclosure = Readonly<Record<string, readonly string[]>>;

export interface RebuiltIssuerSigned {
  /** IssuerSigned = {"nameSpaces": {ns: [IssuerSignedItemBytes]}, "issuerAuth": COSE_Sign1}, canonical. */
  issuerSigned: Uint8Array;
  /** IssuerSignedItemBytes by namespace. */
  nameSpaces: Map<string, Uint8Array[]>;
  /** issuerAuth, encoded. */
  issuerAuth: Uint8Array;
}

export function rebuildIssuerSigned(
  staticAuthData: Uint8Array,
  values: HeldValues,
  disclosure?: Disclosure,
): RebuiltIssuerSigned {
  const decoded = decodePlain(staticAuthData, 'StaticAuthData');
  if (!(decoded instanceof Map)) throw new Error('StaticAuthData is not a map');
  const mapping = decoded.get('digestIdMapping');
  const issuerAuthValue = decoded.get('issuerAuth');
  if (!(mapping instanceof Map) || !Array.isArray(issuerAuthValue)) {
    throw new Error('StaticAuthData lacks digestIdMapping or issuerAuth');
  }
  const nameSpaces = new Map<string, Uint8Array[]>();
  for (const [nameSpace, entries] of mapping as Map<string, unknown>) {
    const wanted = disclosure ? disclosure[nameSpace] : undefined;
    if (disclosure && !wanted) continue;
    if (!Array.isArray(entries)) throw new Error(`digestIdMapping ${nameSpace} is not an array`);
    const items: Uint8Array[] = [];
    for (const entry of entries) {
      if (
        !(entry instanceof Tag) ||
        Number(entry.tag) !== ENCODED_CBOR_TAG ||
        !(entry.contents instanceof Uint8Array)
      ) {
        throw new Error(`digestIdMapping ${nameSpace} holds an entry that is not #6.24(bstr)`);
      }
      const item = decodePlain(entry.contents, 'IssuerSignedItem');
      if (!(item instanceof Map)) throw new Error(`digestIdMapping ${nameSpace} holds an item that is not a map`);
      const identifier = item.get('elementIdentifier') as string;
      if (wanted && !wanted.includes(identifier)) continue;
      const held = values.get(nameSpace);
      if (!held?.has(identifier)) throw new Error(`no value held for ${nameSpace}/${identifier}`);
      item.set('elementValue', held.get(identifier));
      items.push(canonical(embeddedCbor(canonical(item))));
    }
    if (items.length > 0) nameSpaces.set(nameSpace, items);
  }
  const issuerAuth = canonical(issuerAuthValue);
  const issuerSigned = canonical(
    new Map<string, unknown>([
      ['nameSpaces', new Map([...nameSpaces].map(([ns, list]) => [ns, list.map((bytes) => new RawCbor(bytes))]))],
      ['issuerAuth', new RawCbor(issuerAuth)],
    ]),
  );
  return { issuerSigned, nameSpaces, issuerAuth };
}

/**
 * A SessionTranscript = [DeviceEngagementBytes, EReaderKeyBytes, Handover]; by default the
 * shape of a presentation without device engagement (null, null) and a random handover.
 */
export const sessionTranscript = (handover: unknown = ['keyward-simulated-holder', randomBytes(16)]): Uint8Array =>
  canonical([null, null, handover]);

/** SessionTranscriptBytes = #6.24(bstr .cbor SessionTranscript): what @auth0/mdl takes. */
export const sessionTranscriptBytes = (transcript: Uint8Array): Uint8Array => canonical(embeddedCbor(transcript));

/** DeviceAuthenticationBytes = #6.24(["DeviceAuthentication", SessionTranscript, DocType, DeviceNameSpacesBytes]). */
export function deviceAuthenticationBytes(
  transcript: Uint8Array,
  docType: string,
  deviceNameSpacesBytes: Uint8Array,
): Uint8Array {
  const deviceAuthentication = canonical([
    'DeviceAuthentication',
    new RawCbor(transcript),
    docType,
    new RawCbor(deviceNameSpacesBytes),
  ]);
  return canonical(embeddedCbor(deviceAuthentication));
}

export interface DeviceResponseRequest {
  docType: string;
  issuerSigned: RebuiltIssuerSigned;
  /** The auth key's private key (the MSO's deviceKey). */
  authKey: KeyObject;
  /** SessionTranscript (the array's encoding). */
  sessionTranscript: Uint8Array;
}

/**
 * DeviceResponse {"version": "1.0", "documents": [{docType, issuerSigned, deviceSigned}],
 * "status": 0} with deviceSigned = {"nameSpaces": #6.24({}), "deviceAuth": {"deviceSignature":
 * COSE_Sign1 ES256, payload detached, over DeviceAuthenticationBytes}}.
 */
export function deviceResponse(request: DeviceResponseRequest): Uint8Array {
  const deviceNameSpacesBytes = canonical(embeddedCbor(canonical(new Map())));
  const deviceSignature = signCoseSign1({
    payload: deviceAuthenticationBytes(request.sessionTranscript, request.docType, deviceNameSpacesBytes),
    key: request.authKey,
    detached: true,
  });
  const document = new Map<string, unknown>([
    ['docType', request.docType],
    ['issuerSigned', new RawCbor(request.issuerSigned.issuerSigned)],
    [
      'deviceSigned',
      new Map<string, unknown>([
        ['nameSpaces', new RawCbor(deviceNameSpacesBytes)],
        ['deviceAuth', new Map([['deviceSignature', new RawCbor(deviceSignature)]])],
      ]),
    ],
  ]);
  return canonical(
    new Map<string, unknown>([
      ['version', '1.0'],
      ['documents', [document]],
      ['status', 0],
    ]),
  );
}
