import { asBuffer } from '../../crypto/bytes.js';
import { DerReader, TagClass, UNIVERSAL, integerValue, type DerElement } from '../../crypto/asn1/der.js';
import { contentError } from '../../errors.js';
import {
  AUTHORIZATION_TAGS,
  KNOWN_ATTESTATION_VERSIONS,
  ORIGINS,
  SECURITY_LEVELS,
  VERIFIED_BOOT_STATES,
  type AndroidBootState,
  type AndroidSecurityLevel,
} from './constants.js';

const CODE = 'MALFORMED_KEY_DESCRIPTION';

export interface RootOfTrust {
  /** base64 */
  verifiedBootKey: string;
  deviceLocked: boolean;
  verifiedBootState: AndroidBootState;
  /** base64; absent before attestation version 3 */
  verifiedBootHash?: string;
}

export interface AttestationApplicationId {
  /** version is the versionCode: a number, or a decimal string beyond 2^53 */
  packages: { name: string; version: number | string }[];
  /** base64 SHA-256 digests of the signing certificates */
  signatures: string[];
}

/** Decoded AuthorizationList: known tags by name (integers as numbers, or decimal strings beyond 2^53; bytes base64), unknown tags kept raw. */
export interface AuthorizationList {
  [field: string]: unknown;
  rootOfTrust?: RootOfTrust;
  attestationApplicationId?: AttestationApplicationId;
  origin?: string;
  osVersion?: number;
  osPatchLevel?: number;
  vendorPatchLevel?: number;
  bootPatchLevel?: number;
  creationDateTime?: number;
  /** Tags Keyward does not know: tag number → base64 DER of the EXPLICIT content. */
  unknownTags?: Record<string, string>;
}

export interface KeyDescription {
  attestationVersion: number;
  attestationSecurityLevel: AndroidSecurityLevel;
  keyMintVersion: number;
  keyMintSecurityLevel: AndroidSecurityLevel;
  /** base64 */
  attestationChallenge: string;
  /** base64 */
  uniqueId: string;
  softwareEnforced: AuthorizationList;
  hardwareEnforced: AuthorizationList;
  /** Real-world encoding quirks found while decoding (accepted unless strict). */
  quirks: KeyDescriptionQuirk[];
}

export type KeyDescriptionQuirk = 'tags-not-in-ascending-order' | 'non-der-boolean';

export interface ParseOptions {
  /** Reject the quirks instead of accepting and reporting them. */
  strict?: boolean;
}

/** The raw challenge bytes (the decoded record keeps them base64 for JSON). */
export const challengeBytes = (description: KeyDescription) => Buffer.from(description.attestationChallenge, 'base64');

class Decoder {
  readonly quirks = new Set<KeyDescriptionQuirk>();

  /** `source` is the Buffer every reader's offsets index: strings are decoded from it in place. */
  constructor(
    private readonly options: ParseOptions,
    private readonly source: Buffer,
  ) {}

  /** An OCTET STRING's content as base64 or UTF-8. */
  string(reader: DerReader, what: string, encoding: 'base64' | 'utf8'): string {
    const element = reader.octetStringElement(what);
    return this.source.toString(encoding, element.contentStart, element.end);
  }

  quirk(quirk: KeyDescriptionQuirk, detail: string): void {
    if (this.options.strict) {
      throw contentError('KEY_DESCRIPTION_NOT_STRICT_DER', 'The attestation record is not in strict DER form.', {
        detail,
      });
    }
    this.quirks.add(quirk);
  }

  /** DER requires 0xFF for TRUE; some TEEs write 0x01. */
  boolean(reader: DerReader, what: string): boolean {
    const element = reader.expect(TagClass.Universal, UNIVERSAL.BOOLEAN, what);
    if (element.constructed || element.content.length !== 1) throw reader.fail(`${what}: malformed BOOLEAN`);
    const byte = element.content[0]!;
    if (byte !== 0 && byte !== 0xff)
      this.quirk('non-der-boolean', `${what} encoded as 0x${byte.toString(16).padStart(2, '0')}`);
    return byte !== 0;
  }

  securityLevel(reader: DerReader, what: string): AndroidSecurityLevel {
    const value = reader.enumerated(what);
    const level = SECURITY_LEVELS[value];
    if (!level) throw reader.fail(`${what}: unknown security level ${value}`);
    return level;
  }

  rootOfTrust(reader: DerReader): RootOfTrust {
    const sequence = reader.sequence('rootOfTrust');
    const verifiedBootKey = this.string(sequence, 'verifiedBootKey', 'base64');
    const deviceLocked = this.boolean(sequence, 'deviceLocked');
    const state = sequence.enumerated('verifiedBootState');
    const verifiedBootState = VERIFIED_BOOT_STATES[state];
    if (!verifiedBootState) throw sequence.fail(`unknown verifiedBootState ${state}`);
    const root: RootOfTrust = { verifiedBootKey, deviceLocked, verifiedBootState };
    if (!sequence.done) root.verifiedBootHash = this.string(sequence, 'verifiedBootHash', 'base64');
    sequence.end('rootOfTrust');
    return root;
  }

  applicationId(reader: DerReader): AttestationApplicationId {
    const outer = reader.encapsulated('attestationApplicationId');
    const sequence = outer.sequence('AttestationApplicationId');
    outer.end('attestationApplicationId');
    const packages: AttestationApplicationId['packages'] = [];
    const packageSet = sequence.enter(
      sequence.expect(TagClass.Universal, UNIVERSAL.SET, 'package_infos'),
      'package_infos',
    );
    while (!packageSet.done) {
      const info = packageSet.sequence('AttestationPackageInfo');
      const name = this.string(info, 'package_name', 'utf8');
      const version = integerValue(info.integerValue('version'));
      info.end('AttestationPackageInfo');
      packages.push({ name, version });
    }
    const signatures: string[] = [];
    const signatureSet = sequence.enter(
      sequence.expect(TagClass.Universal, UNIVERSAL.SET, 'signature_digests'),
      'signature_digests',
    );
    while (!signatureSet.done) signatures.push(this.string(signatureSet, 'signature_digest', 'base64'));
    sequence.end('AttestationApplicationId');
    return { packages, signatures };
  }

  /** Decodes a known tag's EXPLICIT content into `list`; a tag already there is a duplicate. */
  field(
    spec: (typeof AUTHORIZATION_TAGS)[number],
    element: DerElement,
    parent: DerReader,
    list: AuthorizationList,
    what: string,
  ): void {
    if (list[spec.name] !== undefined) throw parent.fail(`${what}: tag ${element.tag} appears twice`);
    const reader = parent.enter(element, spec.name);
    let value: unknown;
    switch (spec.type) {
      case 'integer':
        value = integerValue(reader.integerValue(spec.name));
        break;
      case 'origin': {
        const origin = Number(reader.integerValue(spec.name));
        value = ORIGINS[origin] ?? String(origin);
        break;
      }
      case 'integerSet': {
        const set = reader.enter(reader.expect(TagClass.Universal, UNIVERSAL.SET, spec.name), spec.name);
        const values: (number | string)[] = [];
        while (!set.done) values.push(integerValue(set.integerValue(spec.name)));
        value = values;
        break;
      }
      case 'null':
        reader.null(spec.name);
        value = true;
        break;
      case 'bytes':
        value = this.string(reader, spec.name, 'base64');
        break;
      case 'text':
        value = this.string(reader, spec.name, 'utf8');
        break;
      case 'rootOfTrust':
        value = this.rootOfTrust(reader);
        break;
      case 'applicationId':
        value = this.applicationId(reader);
        break;
    }
    reader.end(spec.name);
    list[spec.name] = value;
  }

  authorizationList(reader: DerReader, what: string): AuthorizationList {
    const sequence = reader.sequence(what);
    const list: AuthorizationList = {};
    let previous = -1;
    while (!sequence.done) {
      const element = sequence.next();
      if (element.tagClass !== TagClass.Context || !element.constructed) {
        throw sequence.fail(`${what}: expected an EXPLICIT context tag, found [${element.tagClass}:${element.tag}]`);
      }
      if (element.tag < previous)
        this.quirk('tags-not-in-ascending-order', `${what}: tag ${element.tag} after ${previous}`);
      previous = Math.max(previous, element.tag);
      const spec = AUTHORIZATION_TAGS[element.tag];
      if (spec) {
        this.field(spec, element, sequence, list, what);
      } else {
        const unknown = (list.unknownTags ??= {});
        if (unknown[element.tag] !== undefined) throw sequence.fail(`${what}: tag ${element.tag} appears twice`);
        unknown[element.tag] = this.source.toString('base64', element.contentStart, element.end);
      }
    }
    return list;
  }
}

/**
 * Decodes a KeyDescription extension value (any Keymaster or KeyMint version) into one
 * normalized record. Structure is checked strictly (types, lengths, no duplicate tags, nothing
 * trailing); two real-world quirks — tags out of ascending order and BOOLEAN TRUE written as
 * 0x01 — are accepted and listed in `quirks` unless `strict` is set.
 */
export function parseKeyDescription(der: Uint8Array, options: ParseOptions = {}): KeyDescription {
  const source = asBuffer(der);
  const decoder = new Decoder(options, source);
  const outer = new DerReader(source, CODE);
  const sequence = outer.sequence('KeyDescription');
  outer.end('KeyDescription');
  const attestationVersion = Number(sequence.integerValue('attestationVersion'));
  if (!(attestationVersion > 0)) throw sequence.fail(`attestationVersion ${attestationVersion}`);
  const attestationSecurityLevel = decoder.securityLevel(sequence, 'attestationSecurityLevel');
  const keyMintVersion = Number(sequence.integerValue('keyMintVersion'));
  const keyMintSecurityLevel = decoder.securityLevel(sequence, 'keyMintSecurityLevel');
  const attestationChallenge = decoder.string(sequence, 'attestationChallenge', 'base64');
  const uniqueId = decoder.string(sequence, 'uniqueId', 'base64');
  const softwareEnforced = decoder.authorizationList(sequence, 'softwareEnforced');
  const hardwareEnforced = decoder.authorizationList(sequence, 'hardwareEnforced');
  sequence.end('KeyDescription');
  return {
    attestationVersion,
    attestationSecurityLevel,
    keyMintVersion,
    keyMintSecurityLevel,
    attestationChallenge,
    uniqueId,
    softwareEnforced,
    hardwareEnforced,
    quirks: [...decoder.quirks],
  };
}

/** Equal decoded facts; the sets (purposes, digests, …) compared as sets. */
function sameFact(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    const sorted = (values: unknown[]) => values.map((value) => JSON.stringify(value)).sort();
    const [left, right] = [sorted(a), sorted(b)];
    return left.length === right.length && left.every((value, index) => value === right[index]);
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * A fact stated in both authorization lists must state the same thing: otherwise which list a
 * reader consults decides what it believes (an app id, a boot state), so the record is refused.
 */
export function assertNoConflictingFacts(record: KeyDescription, certificate: number): void {
  const software = record.softwareEnforced;
  const hardware = record.hardwareEnforced;
  const conflicts = Object.keys(software).filter((tag) => {
    if (tag === 'unknownTags') return false;
    return hardware[tag] !== undefined && !sameFact(software[tag], hardware[tag]);
  });
  for (const [tag, value] of Object.entries(software.unknownTags ?? {})) {
    const other = hardware.unknownTags?.[tag];
    if (other !== undefined && other !== value) conflicts.push(`tag ${tag}`);
  }
  if (conflicts.length > 0) {
    throw contentError(
      'CONFLICTING_AUTHORIZATIONS',
      'The attestation record states a fact twice with different values.',
      {
        detail: `certificate ${certificate}: ${conflicts.join(', ')} differ between softwareEnforced and hardwareEnforced`,
      },
    );
  }
}

export const isKnownAttestationVersion = (version: number) => KNOWN_ATTESTATION_VERSIONS.includes(version);
