import { createHash } from 'node:crypto';
import { encodeDocumentData } from '../src/features/provisioning/document-data.js';
import { fullDate } from '../src/features/provisioning/issuer/element-value.js';
import type { DocumentData, NamespaceEntry } from '../src/features/provisioning/protocol/data.js';
import { issueCertificate, selfSignedAuthority, toDer } from '../src/simulator/certificates.js';
import type { ErrorCategory } from '../src/errors.js';
import type { NewAuditEvent, NewDecisionEvent } from '../src/store/console-store.js';
import type { Store } from '../src/store/store.js';

/**
 * Seeds a store the way a busy Keyward looks after a month, for the console benchmark: decision
 * events over the last 30 days (a realistic mix of capabilities, operations, platforms and
 * rejections, subjects naming the seeded devices), `devices` of each kind the console lists
 * (binding certificates, MDVM wallet accounts, WebAuthn users with one credential each, DSR
 * registrations, mdoc persons with a document and a provisioned credential) and audit entries.
 * Everything goes through the store's own methods with bounded concurrency; the values are
 * deterministic (a seeded PRNG), so two runs hold the same data.
 */
export interface ConsoleSeedOptions {
  events: number;
  devices: number;
  audit: number;
  /** The seed's "now": events fall in [now − 30 days, now). */
  now: number;
  /** Inserts in flight at once. */
  concurrency?: number;
}

/** Values the benchmark's filtered queries use: each matches seeded rows. */
export interface ConsoleSeedSamples {
  /** A subject (a certificate serial) that has decision events. */
  eventSubject: string;
  /** A rejection code the events hold. */
  eventCode: string;
  /** A four-character serial prefix and a four-character wallet id prefix. */
  serialPrefix: string;
  walletPrefix: string;
  /** A WebAuthn user name, a DSR user id, an mdoc person name fragment. */
  webauthnUserName: string;
  dsrUserId: string;
  personName: string;
}

export interface ConsoleSeedReport {
  samples: ConsoleSeedSamples;
  /** Seconds per part, in the order seeded. */
  seconds: Record<string, number>;
  totalSeconds: number;
}

const DAY = 86_400_000;
const EVENT_CHUNK = 200;

/** mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic identifiers: the SHA-256 of a label, as hex, base64 or base64url, or a UUID. */
const digest = (label: string) => createHash('sha256').update(label).digest();
const hexId = (label: string, length = 64) => digest(label).toString('hex').slice(0, length);
const b64Id = (label: string) => digest(label).toString('base64');
const b64urlId = (label: string) => digest(label).toString('base64url');
function uuidOf(label: string): string {
  const hex = hexId(label, 32).split('');
  hex[12] = '4';
  hex[16] = '89ab'[parseInt(hex[16]!, 16) & 3]!;
  const text = hex.join('');
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}

/** Runs task(0…count−1) with at most `concurrency` in flight. */
async function bounded(count: number, concurrency: number, task: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** [value, weight] pairs. */
function weighted<T>(random: () => number, items: readonly (readonly [T, number])[]): T {
  const total = items.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [value, weight] of items) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return items.at(-1)![0];
}

/** The identifiers of the seeded devices, known before any is written so events can name them. */
interface DeviceIds {
  serials: string[];
  wallets: string[];
  credentials: string[];
  dsrSubs: string[];
  mdocFingerprints: string[];
}

function deviceIds(count: number): DeviceIds {
  const ids: DeviceIds = { serials: [], wallets: [], credentials: [], dsrSubs: [], mdocFingerprints: [] };
  for (let index = 0; index < count; index++) {
    // Binding certificate serials: 16 bytes, lowercase hex, high bit clear (as the CA makes them).
    const serial = hexId(`serial-${index}`, 32);
    ids.serials.push(`${(parseInt(serial[0]!, 16) & 7).toString(16)}${serial.slice(1)}`);
    ids.wallets.push(uuidOf(`wallet-${index}`));
    ids.credentials.push(b64urlId(`credential-${index}`));
    ids.dsrSubs.push(b64Id(`dsr-${index}`));
    ids.mdocFingerprints.push(hexId(`mdoc-${index}`));
  }
  return ids;
}

type Rejection = readonly [ErrorCategory, string];

/** What each capability decides and how it refuses: operations, platforms, rejection codes (weighted). */
const CAPABILITY_MIX: readonly {
  capability: string;
  weight: number;
  operations: readonly (readonly [string, number])[];
  platforms: readonly string[];
  rejections: readonly (readonly [Rejection, number])[];
  subjects: keyof DeviceIds;
}[] = [
  {
    capability: 'warden',
    weight: 30,
    operations: [['attest', 1]],
    platforms: ['android', 'ios'],
    subjects: 'serials',
    rejections: [
      [['TIME', 'CHALLENGE_EXPIRED'], 20],
      [['CONTENT', 'CHALLENGE_UNKNOWN'], 8],
      [['TRUST', 'BOOTLOADER_UNLOCKED'], 15],
      [['TRUST', 'BOOT_STATE_NOT_VERIFIED'], 6],
      [['TRUST', 'OS_VERSION_TOO_OLD'], 12],
      [['TRUST', 'PACKAGE_NOT_ALLOWED'], 5],
      [['TRUST', 'ROOT_OF_TRUST_MISSING'], 3],
      [['TRUST', 'RECEIPT_UNTRUSTED'], 4],
      [['CONTENT', 'CERTIFICATE_CHAIN_EMPTY'], 2],
      [['TRUST', 'ATTESTED_KEY_MISMATCH'], 1],
    ],
  },
  {
    capability: 'mdvm',
    weight: 20,
    operations: [
      ['register', 3],
      ['renew', 7],
    ],
    platforms: ['android', 'ios'],
    subjects: 'wallets',
    rejections: [
      [['TIME', 'CHALLENGE_EXPIRED'], 10],
      [['CONTENT', 'CHALLENGE_VERIFICATION_FAILURE'], 6],
      [['TRUST', 'OUTDATED_OS_VERSION'], 12],
      [['TRUST', 'INVALID_BOOTLOADER_STATE'], 8],
      [['TRUST', 'ACCOUNT_REVOKED'], 4],
      [['CONTENT', 'ACCOUNT_NOT_FOUND'], 3],
      [['TIME', 'MDVM_TOKEN_EXPIRED'], 3],
    ],
  },
  {
    capability: 'fido2',
    weight: 20,
    operations: [
      ['registration', 2],
      ['authentication', 8],
    ],
    platforms: ['webauthn'],
    subjects: 'credentials',
    rejections: [
      [['CONTENT', 'WEBAUTHN_CHALLENGE_MISMATCH'], 10],
      [['CONTENT', 'ORIGIN_MISMATCH'], 5],
      [['CONTENT', 'WEBAUTHN_USER_UNKNOWN'], 6],
      [['CONTENT', 'CREDENTIAL_ALREADY_REGISTERED'], 3],
      [['CONTENT', 'ATTESTATION_OBJECT_MALFORMED'], 2],
      [['TRUST', 'ADDITIONAL_CREDENTIAL_REFUSED'], 1],
    ],
  },
  {
    capability: 'dsr',
    weight: 20,
    operations: [
      ['register-device', 1],
      ['device-attestation', 3],
      ['device-token', 3],
      ['pep', 6],
    ],
    platforms: ['android', 'ios'],
    subjects: 'dsrSubs',
    rejections: [
      [['CONTENT', 'DSR_TOKEN_MALFORMED'], 4],
      [['TRUST', 'DSR_INTEGRITY_NONCE_MISMATCH'], 5],
      [['TIME', 'DSR_INTEGRITY_STALE'], 5],
      [['TRUST', 'DSR_INTEGRITY_PACKAGE_MISMATCH'], 2],
      [['TRUST', 'DSR_PEP_CALLER_UNTRUSTED'], 3],
      [['CONTENT', 'DSR_PEP_TOKEN_MISSING'], 6],
    ],
  },
  {
    capability: 'provisioning',
    weight: 10,
    operations: [
      ['provisioning', 3],
      ['certify', 6],
      ['update', 1],
      ['delete', 0.2],
    ],
    platforms: ['android'],
    subjects: 'mdocFingerprints',
    rejections: [
      [['CONTENT', 'PROVISIONING_MALFORMED_CBOR'], 2],
      [['CONTENT', 'PROVISIONING_MISSING_FIELD'], 2],
      [['CONTENT', 'PROVISIONING_MALFORMED_CERTIFICATE_CHAIN'], 3],
      [['TIME', 'CHALLENGE_EXPIRED'], 2],
    ],
  },
];

const ANDROID_MODELS = ['Pixel 8', 'Pixel 7a', 'SM-S918B', 'SM-A546B', 'CPH2451', '2201116SG'];
const IOS_MODELS = ['iPhone15,2', 'iPhone15,4', 'iPhone16,1', 'iPhone14,5', 'iPhone13,2'];
const PATCH_LEVELS = ['2025-06', '2025-09', '2025-12', '2026-03', '2026-06', '2026-09'];
const IOS_VERSIONS = ['17.6.1', '18.1', '18.3.2', '18.6', '26.0', '26.1'];

/** A small summary of device facts, as the recorders write them. */
function summaryOf(random: () => number, capability: string, platform: string): Record<string, unknown> {
  if (platform === 'android')
    return {
      securityLevel: weighted(random, [
        ['StrongBox', 2],
        ['TrustedEnvironment', 7],
        ['Software', 1],
      ]),
      osPatchLevel: pick(random, PATCH_LEVELS),
      model: pick(random, ANDROID_MODELS),
      bootState: random() < 0.95 ? 'Verified' : 'Unverified',
      ...(capability === 'warden' ? { policy: pick(random, ['default', 'strict']) } : {}),
    };
  if (platform === 'ios')
    return {
      environment: 'production',
      osVersion: pick(random, IOS_VERSIONS),
      model: pick(random, IOS_MODELS),
      ...(capability === 'warden' ? { policy: pick(random, ['default', 'strict']) } : {}),
    };
  return {
    fmt: pick(random, ['packed', 'none', 'tpm', 'apple']),
    aaguid: pick(random, ['ee882879-721c-4913-9775-3dfcce97072a', '00000000-0000-0000-0000-000000000000']),
    userVerified: random() < 0.9,
  };
}

function decisionEvents(random: () => number, count: number, now: number, ids: DeviceIds): NewDecisionEvent[] {
  const from = now - 30 * DAY;
  const step = (30 * DAY) / count;
  const events: NewDecisionEvent[] = [];
  const capabilities = CAPABILITY_MIX.map((mix) => [mix, mix.weight] as const);
  for (let index = 0; index < count; index++) {
    const mix = weighted(random, capabilities);
    const platform = pick(random, mix.platforms);
    const accepted = random() < 0.8;
    const rejection = accepted ? undefined : weighted(random, mix.rejections);
    // Accepted decisions know their subject; a tenth of the rejections are refused before it is known.
    const hasSubject = accepted || random() < 0.9;
    const subjects = ids[mix.subjects];
    // Decisions cluster on a few devices (a Zipf-like head) and spread over the rest.
    const subjectIndex = random() < 0.2 ? Math.floor(random() * 50) : Math.floor(random() * subjects.length);
    events.push({
      at: Math.floor(from + index * step + random() * step),
      capability: mix.capability,
      operation: weighted(random, mix.operations),
      platform: rejection && random() < 0.05 ? '' : platform,
      outcome: accepted ? 'accepted' : 'rejected',
      ...(rejection ? { category: rejection[0], code: rejection[1] } : {}),
      ...(hasSubject ? { subject: subjects[subjectIndex]! } : {}),
      summary: summaryOf(random, mix.capability, platform),
      requestId: `req-${(index + 1).toString(36).padStart(6, '0')}`,
    });
  }
  return events;
}

/** An mDL like the reference data's, without a portrait: what the system of record holds per person. */
function mdl(given: string, family: string): DocumentData {
  const entry = (name: string, value: unknown): NamespaceEntry => ({ name, value, accessControlProfiles: [0] });
  return {
    docType: 'org.iso.18013.5.1.mDL',
    accessControlProfiles: [{ id: 0 }],
    nameSpaces: new Map([
      [
        'org.iso.18013.5.1',
        [
          entry('family_name', family),
          entry('given_name', given),
          entry('birth_date', fullDate('1971-09-01')),
          entry('issuing_country', 'DE'),
          entry('document_number', 'T22000129'),
        ],
      ],
    ]),
  };
}

const GIVEN = ['Erika', 'Max', 'Anna', 'Lukas', 'Sophie', 'Jonas', 'Marie', 'Felix', 'Lea', 'Paul'];
const FAMILY = ['Mustermann', 'Schmidt', 'Müller', 'Weber', 'Fischer', 'Wagner', 'Becker', 'Hoffmann', 'Koch'];

export async function seedConsoleStore(store: Store, options: ConsoleSeedOptions): Promise<ConsoleSeedReport> {
  const { now, devices } = options;
  const concurrency = options.concurrency ?? 50;
  const random = prng(13);
  const ids = deviceIds(devices);
  const seconds: Record<string, number> = {};
  const started = performance.now();
  const timed = async (part: string, run: () => Promise<unknown>) => {
    const partStarted = performance.now();
    await run();
    seconds[part] = (performance.now() - partStarted) / 1000;
  };
  /** Devices were created over the last 180 days, oldest first. */
  const createdAt = (index: number) => Math.floor(now - 180 * DAY + (index * 180 * DAY) / devices);

  await timed('events', async () => {
    const events = decisionEvents(random, options.events, now, ids);
    await bounded(Math.ceil(events.length / EVENT_CHUNK), concurrency, (chunk) =>
      store.decisionEvents.append(events.slice(chunk * EVENT_CHUNK, (chunk + 1) * EVENT_CHUNK)),
    );
  });

  await timed('certificates', () =>
    bounded(devices, concurrency, async (index) => {
      const platform = index % 3 === 0 ? 'apple' : 'android';
      const issuedAt = createdAt(index);
      const serial = ids.serials[index]!;
      await store.bindingCertificates.record({
        serial,
        policy: index % 5 === 0 ? 'strict' : 'default',
        platform,
        subject: `CN=${platform === 'apple' ? 'ios' : 'android'}-device-${index}, O=Keyward Bench`,
        keyThumbprint: hexId(`certificate-key-${index}`),
        summary:
          platform === 'android'
            ? {
                securityLevel: 'TrustedEnvironment',
                osPatchLevel: PATCH_LEVELS[index % 6],
                bootState: 'Verified',
                app: 'at.asitplus.wallet',
              }
            : { environment: 'production', osVersion: IOS_VERSIONS[index % 6], app: 'ABCDE12345.at.asitplus.wallet' },
        issuedAt,
        notAfter: issuedAt + 365 * DAY,
      });
      if (index % 50 === 7) await store.bindingCertificates.revoke(serial, 'keyCompromise', issuedAt + DAY);
    }),
  );

  await timed('wallets', () =>
    bounded(devices, concurrency, async (index) => {
      const platform = index % 2 === 0 ? 'android' : 'ios';
      const at = createdAt(index);
      const id = ids.wallets[index]!;
      await store.mdvmAccounts.create({
        id,
        platform,
        authKeyThumbprint: b64urlId(`wallet-auth-key-${index}`),
        authPublicKey: digest(`wallet-auth-spki-${index}`).toString('base64').repeat(3),
        deviceClass:
          platform === 'android'
            ? { brand: 'google', model: ANDROID_MODELS[index % 6]!, patchLevel: PATCH_LEVELS[index % 6]! }
            : { model: IOS_MODELS[index % 5]!, osVersion: IOS_VERSIONS[index % 6]! },
        attested:
          platform === 'android'
            ? { securityLevel: 'TrustedEnvironment', osPatchLevel: PATCH_LEVELS[index % 6], appVersion: 4021 }
            : { osVersion: IOS_VERSIONS[index % 6], appVersion: '4.2.1' },
        ...(platform === 'ios' ? { appAttestKeyId: b64Id(`wallet-app-attest-${index}`) } : {}),
        counter: platform === 'ios' ? 1 : 0,
        createdAt: at,
      });
      if (index % 40 === 11) await store.mdvmAccounts.revoke(id, 'operator', at + DAY);
    }),
  );

  await timed('webauthn', () =>
    bounded(devices, concurrency, async (index) => {
      const at = createdAt(index);
      const user = await store.webauthnUsers.ensure(`user${index}@bench.example`, `Bench User ${index}`, at);
      await store.webauthnCredentials.create({
        credentialId: ids.credentials[index]!,
        userHandle: user.userHandle,
        publicKey: new Uint8Array(digest(`credential-public-key-${index}`)),
        alg: -7,
        counter: index % 7,
        transports: ['usb', 'nfc'],
        aaguid: index % 4 === 0 ? '00000000-0000-0000-0000-000000000000' : 'ee882879-721c-4913-9775-3dfcce97072a',
        fmt: index % 4 === 0 ? 'none' : 'packed',
        attestationType: index % 4 === 0 ? 'none' : 'basic',
        trust: index % 4 === 0 ? 'none' : 'metadata',
        attestation: {
          outcome: index % 4 === 0 ? 'skipped' : 'verified',
          trustPath:
            index % 4 === 0 ? [] : ['CN=Yubico U2F EE Serial 1234567890', 'CN=Yubico U2F Root CA Serial 457200631'],
          warnings: [],
        },
        metadata: { found: index % 4 !== 0, statuses: index % 4 === 0 ? [] : ['FIDO_CERTIFIED_L1'] },
        userVerified: true,
        backupEligible: false,
        backedUp: false,
        discoverable: index % 2 === 0,
        createdAt: at,
      });
    }),
  );

  await timed('dsr', () =>
    bounded(devices, concurrency, async (index) => {
      const platform = index % 2 === 0 ? 'android' : 'ios';
      const at = createdAt(index);
      const sub = ids.dsrSubs[index]!;
      const keyId = b64Id(`dsr-app-attest-${index}`);
      const outcome = await store.dsrRegistrations.register(
        {
          sub,
          userId: `X${String(110_000_000 + index).padStart(9, '0')}`,
          platform,
          certificateSerial: hexId(`dsr-certificate-${index}`, 32),
          certificateNotAfter: at + 365 * DAY,
          ...(platform === 'android'
            ? { attestKeySpki: digest(`dsr-attest-spki-${index}`).toString('base64').repeat(3) }
            : { appAttestKeyId: keyId }),
          facts:
            platform === 'android'
              ? {
                  securityLevel: 'TrustedEnvironment',
                  osPatchLevel: PATCH_LEVELS[index % 6],
                  model: ANDROID_MODELS[index % 6],
                }
              : { osVersion: IOS_VERSIONS[index % 6], model: IOS_MODELS[index % 5] },
          createdAt: at,
          updatedAt: at,
        },
        platform === 'ios'
          ? {
              keyId,
              appId: 'ABCDE12345.de.gematik.dsr',
              publicKey: digest(`dsr-app-attest-spki-${index}`).toString('base64').repeat(3),
              environment: 'production',
              counter: 0,
              createdAt: at,
              updatedAt: at,
            }
          : undefined,
      );
      if (outcome !== 'created') throw new Error(`DSR registration ${index}: ${outcome}`);
    }),
  );

  await timed('mdoc', async () => {
    // A few real CredentialKey chains (leaf + root, DER) shared round-robin: the listing shows them, nothing verifies them.
    const root = await selfSignedAuthority('CN=Bench Android Attestation Root', 'EC-P256', {
      notBefore: new Date(now - 400 * DAY),
      notAfter: new Date(now + 3650 * DAY),
    });
    const chains: Uint8Array[] = [];
    for (let index = 0; index < 4; index++) {
      const leaf = await issueCertificate({
        issuer: root,
        subject: `CN=Android Keystore Key ${index}`,
        publicKey: root.keys.publicKey,
        notBefore: new Date(now - 200 * DAY),
        notAfter: new Date(now + 3650 * DAY),
      });
      chains.push(new Uint8Array(Buffer.concat([toDer(leaf), toDer(root.certificate)])));
    }
    await bounded(devices, concurrency, async (index) => {
      const at = createdAt(index);
      const personId = uuidOf(`person-${index}`);
      const documentId = uuidOf(`document-${index}`);
      const code = `s${index.toString(36).padStart(7, '0')}`;
      const given = GIVEN[index % GIVEN.length]!;
      const family = FAMILY[Math.floor(index / GIVEN.length) % FAMILY.length]!;
      await store.mdocRecords.addPerson({ id: personId, name: `${given} ${family} ${index}`, createdAt: at });
      await store.mdocRecords.addDocument({
        id: documentId,
        personId,
        docType: 'org.iso.18013.5.1.mDL',
        data: encodeDocumentData(mdl(given, family)),
        dataTimestamp: at,
        status: 'active',
        createdAt: at,
        updatedAt: at,
      });
      await store.mdocRecords.addCode({ code, documentId, createdAt: at, expiresAt: at + 7 * DAY });
      const proof = digest(`proof-${index}`);
      const state = await store.mdocRecords.completeProvisioning(
        code,
        {
          credentialKeyFingerprint: ids.mdocFingerprints[index]!,
          documentId,
          credentialKeyChain: chains[index % chains.length]!,
          proofOfProvisioning: new Uint8Array(Buffer.concat([Buffer.from('d28443a10126a0', 'hex'), proof, proof])),
          proofOfProvisioningSha256: new Uint8Array(createHash('sha256').update(proof).digest()),
          dataTimestamp: at,
          createdAt: at + 60_000,
          updatedAt: at + 60_000,
        },
        at + 60_000,
      );
      if (state !== 'usable') throw new Error(`mdoc provisioning ${index}: ${state}`);
    });
  });

  await timed('audit', async () => {
    const actions: readonly (readonly [string, number])[] = [
      ['login', 60],
      ['logout', 25],
      ['login-failed', 8],
      ['certificate.revoke', 3],
      ['mdvm.account.revoke', 2],
      ['mdvm.class.add', 1],
      ['operator.add', 1],
    ];
    const operators = ['alice', 'bob', 'carol', 'dave'];
    const entries: NewAuditEvent[] = [];
    for (let index = 0; index < options.audit; index++) {
      const action = weighted(random, actions);
      const target =
        action === 'certificate.revoke'
          ? ids.serials[Math.floor(random() * devices)]
          : action === 'mdvm.account.revoke'
            ? ids.wallets[Math.floor(random() * devices)]
            : action === 'operator.add'
              ? `op${index}`
              : action === 'mdvm.class.add'
                ? `DCVDB-2026-${String(index).padStart(3, '0')}`
                : undefined;
      entries.push({
        at: Math.floor(now - 30 * DAY + (index * 30 * DAY) / options.audit),
        actor: pick(random, operators),
        actorKind: 'operator',
        action,
        ...(target === undefined ? {} : { target }),
        outcome: action === 'login-failed' ? 'refused' : 'ok',
        address: `192.0.2.${1 + Math.floor(random() * 200)}`,
        detail: action === 'certificate.revoke' ? { reason: 'keyCompromise' } : {},
        requestId: `req-audit-${index}`,
      });
    }
    // One at a time: the trail's ids follow its times.
    for (const entry of entries) await store.auditEvents.append(entry);
  });

  return {
    samples: {
      eventSubject: ids.serials[3]!,
      eventCode: 'BOOTLOADER_UNLOCKED',
      serialPrefix: ids.serials[devices >> 1]!.slice(0, 4),
      walletPrefix: ids.wallets[devices >> 1]!.slice(0, 4),
      webauthnUserName: `user${devices >> 1}@bench.example`,
      dsrUserId: `X${String(110_000_000 + (devices >> 1)).padStart(9, '0')}`,
      personName: 'Mustermann',
    },
    seconds,
    totalSeconds: (performance.now() - started) / 1000,
  };
}
