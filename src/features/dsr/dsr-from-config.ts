import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import type { Logger } from 'pino';
import type { AndroidVerifier } from '../../attestation/android/verify.js';
import { CardTrust } from '../../attestation/dsr/health-card.js';
import { type PlayIntegrityKeys, parsePlayIntegrityKeys } from '../../attestation/dsr/play-integrity.js';
import { type DsrMasterData, parseMasterData } from '../../attestation/dsr/registration-claims.js';
import type { ChallengeService } from '../../challenges/challenge-service.js';
import type { Clock } from '../../clock.js';
import type { AppleVerifierFor } from '../../config/apple-verifier.js';
import { invalidConfiguration } from '../../config/config-error.js';
import type { KeywardConfig } from '../../config/schema.js';
import { configuredAnchors } from '../../config/trust-anchors.js';
import { keysFromJwks } from '../../crypto/jose/es256-keys.js';
import { jwkThumbprint } from '../../crypto/jose/jwk.js';
import { pemCertificates } from '../../crypto/x509/certificate.js';
import type { MacKeyRing } from '../../keys/mac-keys.js';
import type { Metrics } from '../../metrics.js';
import { isSimulatorAnchor, simulatorAnchors, simulatorPlayIntegrityKeys } from '../../simulator/roots.js';
import type { Store } from '../../store/store.js';
import { overridePolicy } from '../warden/policies.js';
import { DsrAuthCodes } from './auth-codes.js';
import { unsignedBundle } from './bundles/bundle.js';
import type { PipListKind } from './bundles/pip-lists.js';
import { DeviceCertificates } from './client-certificate.js';
import { defaultBundlePayload, defaultMasterData } from './defaults.js';
import type { DeviceCa } from './device-ca/device-ca.js';
import type { DeviceTokenSubject } from './device-token.js';
import { type DsrDecision, DsrService } from './dsr-service.js';
import { IntegrityVerdicts } from './integrity-verdicts.js';
import { PolicyEnforcementPoint } from './pep/pep.js';
import { DsrPolicies } from './policy-service.js';
import type { DsrSigningKeys } from './signing-keys.js';
import { acceptableSourceUrl, readSource } from './source-reader.js';

export interface DsrComponents {
  service: DsrService;
  policies: DsrPolicies;
  deviceCa: DeviceCa;
  /** Proxies whose forwarded client certificate (and, at the PEP, client address) is believed. */
  trustedProxies: BlockList;
  /** Whether dsr.trustedProxies names any: then only they may call the PEP. */
  proxiesConfigured: boolean;
  /** Lowercase name of the forwarded-certificate header. */
  clientCertificateHeader: string;
}

export interface DsrContext {
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  store: Store;
  challenges: ChallengeService;
  macKeys: MacKeyRing;
  keys: { deviceCa: DeviceCa; signingKeys: DsrSigningKeys };
  android: AndroidVerifier;
  appleVerifier: AppleVerifierFor;
}

const readConfigured = (option: string, path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw invalidConfiguration(`${option}: cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
};

const orConfigError = <T>(option: string, run: () => T): T => {
  try {
    return run();
  } catch (error) {
    throw invalidConfiguration(`${option}: ${(error as Error).message}`, { cause: error });
  }
};

function masterDataFrom(config: KeywardConfig): DsrMasterData {
  const file = config.dsr.masterDataFile;
  if (!file) return defaultMasterData();
  const text = readConfigured('dsr.masterDataFile', file);
  return orConfigError('dsr.masterDataFile', () => parseMasterData(JSON.parse(text)));
}

function cardTrustFrom(config: KeywardConfig): CardTrust {
  const anchors = [
    ...configuredAnchors(config.dsr.cardCaFiles, 'dsr.cardCaFiles'),
    ...(config.trustSimulatorRoots ? simulatorAnchors().dsrCards : []),
  ];
  const pinned = config.dsr.pinnedCardCertificateFiles.flatMap((file) => {
    const certificates = pemCertificates(readConfigured('dsr.pinnedCardCertificateFiles', file));
    if (certificates.length === 0)
      throw invalidConfiguration(`dsr.pinnedCardCertificateFiles: ${file} holds no PEM certificate`);
    return certificates;
  });
  return orConfigError('dsr.pinnedCardCertificateFiles', () => new CardTrust({ anchors, pinned }));
}

/** The master data's packages as android.policy apps (digests base64url → hex), unless dsr.android names its own. */
function androidPolicyFrom(config: KeywardConfig, masterData: DsrMasterData) {
  const apps = masterData.availablePackages.map((entry) => ({
    packageName: entry.packageName,
    signerDigests: [Buffer.from(entry.certificateSha256Digest, 'base64url').toString('hex')],
    minVersion: entry.version,
  }));
  return overridePolicy(config.android.policy, { apps, ...config.dsr.android }, 'dsr.android');
}

function integrityKeysFrom(config: KeywardConfig): PlayIntegrityKeys[] {
  const keys = config.dsr.playIntegrity.keys.map((entry, index) =>
    orConfigError(`dsr.playIntegrity.keys[${index}]`, () =>
      parsePlayIntegrityKeys(entry.decryptionKey, entry.verificationKey),
    ),
  );
  return config.trustSimulatorRoots ? [...keys, simulatorPlayIntegrityKeys()] : keys;
}

/** Administration keys by kid (their JWK thumbprint). */
function adminKeysFrom(config: KeywardConfig): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const file of config.dsr.bundles.keyFiles) {
    const key = orConfigError(`dsr.bundles.keyFiles (${file})`, () =>
      createPublicKey(readConfigured('dsr.bundles.keyFiles', file)),
    );
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      throw invalidConfiguration(`dsr.bundles.keyFiles: ${file} is not an EC P-256 public key`);
    keys.set(jwkThumbprint(key.export({ format: 'jwk' })), key);
  }
  return keys;
}

/** dsr.trustedProxies as a BlockList: addresses and CIDRs, v4 and v6. */
export function proxyList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
    const valid = family !== 0 && rest.length === 0 && prefix !== '' && Number.isInteger(bits);
    if (!valid || bits < 0 || bits > (family === 6 ? 128 : 32))
      throw invalidConfiguration(`dsr.trustedProxies: ${JSON.stringify(entry)} is not an address or CIDR`);
    list.addSubnet(address, bits, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/** The GMS's own token keys and any further GMSs' (dsr.pep.gmsJwksFiles). */
function pepTrustFrom(config: KeywardConfig, signingKeys: DsrSigningKeys) {
  const keys = keysFromJwks(signingKeys.jwks);
  for (const file of config.dsr.pep.gmsJwksFiles) {
    const jwks = orConfigError(`dsr.pep.gmsJwksFiles (${file})`, () =>
      keysFromJwks(JSON.parse(readConfigured('dsr.pep.gmsJwksFiles', file))),
    );
    for (const [kid, key] of jwks) keys.set(kid, key);
  }
  return {
    keys,
    ...(config.dsr.pep.issuers.length > 0 ? { issuers: config.dsr.pep.issuers } : {}),
    clockToleranceSeconds: config.dsr.pep.clockToleranceSeconds,
  };
}

const PIP_KINDS: readonly PipListKind[] = ['blockedIps', 'blockedUsers', 'allowedCountries', 'torExitNodes'];

/** DSR's GMS, PEP and policies from configuration; configuration mistakes throw ConfigErrors naming the option. */
export function dsrFromConfig(config: KeywardConfig, context: DsrContext): DsrComponents {
  const { dsr } = config;
  const { clock, logger, metrics, store, challenges } = context;
  const masterData = masterDataFrom(config);
  const appIds = masterData.availableAppIds.map((entry) => `${entry.teamId}.${entry.bundledIdentifier}`);
  const android = { verifier: context.android, policy: androidPolicyFrom(config, masterData) };
  const integrity = new IntegrityVerdicts(integrityKeysFrom(config), dsr.playIntegrity.maxAgeSeconds * 1000);
  if (!integrity.verifying)
    logger.warn(
      'dsr.playIntegrity.keys is empty: Android integrity verdicts are carried into device tokens unverified (verified: false), without the app facts the default policies check, so those policies deny Android devices',
    );
  if (dsr.trustedProxies.length === 0)
    logger.warn(
      'dsr.trustedProxies is empty: the PEP (/pep/…/auth_request) believes the client address and certificate headers of any caller; list your nginx there in production',
    );
  const skewMs = dsr.clockSkewSeconds * 1000;
  const log = logger.child({ component: 'dsr' });
  const onDecision = (decision: DsrDecision) => {
    metrics.dsrDecisions.inc({ operation: decision.operation, outcome: 'ok' });
    const fields = {
      operation: decision.operation,
      platform: decision.platform,
      sub: decision.sub,
      userId: decision.userId,
    };
    if (decision.anchors.some(isSimulatorAnchor))
      log.warn(fields, `DSR ${decision.operation} of a SIMULATED device (trustSimulatorRoots is on)`);
    else log.info(fields, `DSR ${decision.operation}`);
  };
  const service = new DsrService({
    clock,
    registration: {
      challenges,
      cardTrust: cardTrustFrom(config),
      masterData,
      android,
      apple: appIds.length > 0 ? context.appleVerifier(appIds, config.apple.environment) : undefined,
      integrity,
      deviceCa: context.keys.deviceCa,
      registrations: store.dsrRegistrations,
      window: { maxAgeMs: dsr.registrationMaxAgeSeconds * 1000, skewMs },
    },
    attestation: {
      challenges,
      masterData,
      android,
      integrity,
      registrations: store.dsrRegistrations,
      appAttestKeys: store.appAttestKeys,
      window: { maxAgeMs: dsr.attestationMaxAgeSeconds * 1000, skewMs },
    },
    deviceCertificates: new DeviceCertificates(context.keys.deviceCa),
    authCodes: new DsrAuthCodes<DeviceTokenSubject>(challenges, context.macKeys, {
      ttlSeconds: dsr.authCodeTtlSeconds,
    }),
    signingKeys: context.keys.signingKeys,
    settings: {
      issuer: dsr.issuer,
      nonceTtlSeconds: dsr.nonceTtlSeconds,
      tokenLifetimeSeconds: dsr.tokenLifetimeSeconds,
    },
    onDecision,
  });

  const defaultBundle = unsignedBundle(defaultBundlePayload(), 'default');
  const clientCertificateHeader = dsr.clientCertificateHeader.toLowerCase();
  const pep = new PolicyEnforcementPoint({
    trust: pepTrustFrom(config, context.keys.signingKeys),
    policies: defaultBundle.policies,
    data: defaultBundle.data,
    tokenCacheSize: dsr.pep.tokenCacheSize,
    clientCertificateHeader,
  });
  const adminKeys = adminKeysFrom(config);
  for (const [option, value] of [
    ['dsr.bundles.url', dsr.bundles.url],
    ...PIP_KINDS.map((kind) => [`dsr.pip.${kind}`, dsr.pip[kind]]),
  ] as const)
    if (/^https?:\/\//i.test(value) && !acceptableSourceUrl(new URL(value)))
      throw invalidConfiguration(`${option}: ${value} must be https (http only to localhost)`);
  const sources = Object.fromEntries(
    PIP_KINDS.filter((kind) => dsr.pip[kind] !== '').map((kind) => [kind, dsr.pip[kind]]),
  ) as Partial<Record<PipListKind, string>>;
  const policies = new DsrPolicies({
    clock,
    store: store.dsrBundles,
    adminKeys,
    defaultBundle,
    pep,
    read: readSource,
    log,
    pollMs: dsr.bundles.pollSeconds * 1000,
    ...(dsr.bundles.url ? { bundleUrl: dsr.bundles.url } : {}),
    pip: { sources, refreshMs: dsr.pip.refreshSeconds * 1000 },
    onDivergence: (version) => metrics.shadowDivergences.inc({ simulationVersion: String(version) }),
  });
  if (adminKeys.size === 0)
    logger.info(
      'dsr.bundles.keyFiles is empty: the shipped default policy set stays in force (no bundle can be pushed)',
    );
  return {
    service,
    policies,
    deviceCa: context.keys.deviceCa,
    trustedProxies: proxyList(dsr.trustedProxies),
    proxiesConfigured: dsr.trustedProxies.length > 0,
    clientCertificateHeader,
  };
}
