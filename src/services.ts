import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ChallengeService } from './challenges/challenge-service.js';
import { systemClock, type Clock } from './clock.js';
import type { StatusListState } from './attestation/android/revocation.js';
import type { AndroidVerifier } from './attestation/android/verify.js';
import { androidVerifierFromConfig } from './config/android-verifier.js';
import { appleVerifierFromConfig, type AppleVerifierFor } from './config/apple-verifier.js';
import { resolveDatabaseUrl, resolvePublicBaseUrl } from './config/derived.js';
import { ChallengeTokens } from './challenges/challenge-tokens.js';
import { PROTOCOL_PURPOSES } from './challenges/purposes.js';
import { type DsrComponents, dsrFromConfig } from './features/dsr/dsr-from-config.js';
import { Fido2Service } from './features/fido2/fido2-service.js';
import {
  type ProvisioningComponents,
  provisioningFromConfig,
} from './features/provisioning/provisioning-from-config.js';
import { effectiveAttestationMode, endsAt, webauthnVerifierFromConfig } from './features/fido2/fido2-verifier.js';
import { metadataServiceFromConfig } from './features/fido2/metadata-from-config.js';
import type { MetadataService } from './features/fido2/metadata-service.js';
import { resolveRelyingParty } from './features/fido2/relying-party.js';
import { MdvmOperations } from './features/mdvm/mdvm-operations.js';
import { MdvmService, type MdvmDecision } from './features/mdvm/mdvm-service.js';
import { overridePolicy, resolvePolicies } from './features/warden/policies.js';
import { WardenService } from './features/warden/warden-service.js';
import { isSimulatorAnchor, simulatorAnchors } from './simulator/roots.js';
import { webauthnSimulatorAnchors, webauthnSimulatorMetadataFolder } from './simulator/webauthn/roots.js';
import type { KeywardConfig } from './config/schema.js';
import { loadServerKeys, type ServerKeys } from './keys/load-keys.js';
import type { MacKeyRing } from './keys/mac-keys.js';
import type { MdvmSigningKeys } from './features/mdvm/signing-keys.js';
import { Metrics } from './metrics.js';
import type { ChallengeStore } from './store/challenge-store.js';
import { RedisChallengeStore } from './store/redis/challenge-store.js';
import { connectRedis, pingRedis } from './store/redis/connect.js';
import { openStore, type Store } from './store/store.js';
import { TrustAnchors } from './crypto/x509/chain.js';
import { createDecisionLog, type DecisionLogService } from './decision-log/decision-log.js';

/** Everything a running Keyward needs, built once from configuration (the composition root). */
export interface Services {
  readonly config: KeywardConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly store: Store;
  readonly redis: Redis | undefined;
  readonly challenges: ChallengeService;
  /** The decision log: every verification decision, buffered and written in batches (no-op when decisionLog.enabled is false). */
  readonly decisions: DecisionLogService;
  readonly keys: ServerKeys;
  /** Absent when the Warden endpoint is disabled (`warden.enabled`). */
  readonly warden: WardenService | undefined;
  /** Absent when MDVM is disabled (`mdvm.enabled`). */
  readonly mdvm: { service: MdvmService; operations: MdvmOperations } | undefined;
  /** Absent when the WebAuthn relying party is disabled (`fido2.enabled`). */
  readonly fido2: { service: Fido2Service; metadata: MetadataService } | undefined;
  /** Absent when DSR is disabled (`dsr.enabled`). */
  readonly dsr: DsrComponents | undefined;
  /** Absent when mdoc provisioning is disabled (`provisioning.enabled`). */
  readonly provisioning: ProvisioningComponents | undefined;
  /** The Android attestation status list's freshness; undefined while revocation checking is off (`android.revocation.enabled`). */
  androidStatusList(): StatusListState | undefined;
  /** Listeners beside the plain one, once they listen (the TLS listener for DSR's mTLS routes). */
  readonly listeners: { tls?: { url: string; certificateSha256: string } };
  /** The public base URL: `publicBaseUrl`, or once listening, the address actually bound. */
  readonly publicBaseUrl: () => string;
  /** Called by the server once it listens, with the URL it is reachable at. */
  listening(url: string): void;
  /** Resolves when every backing service answers; rejects naming the first that does not. */
  checkReady(): Promise<ReadinessReport>;
  close(): Promise<void>;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, 'ok' | 'failed'>;
}

export interface ServiceOptions {
  clock?: Clock;
  metrics?: Metrics;
}

export async function createServices(
  config: KeywardConfig,
  logger: Logger,
  options: ServiceOptions = {},
): Promise<Services> {
  const clock = options.clock ?? systemClock;
  const metrics = options.metrics ?? new Metrics();
  const keys = loadServerKeys(config, clock);
  const store = await openStore({
    url: resolveDatabaseUrl(config),
    schema: config.databaseSchema,
    poolSize: config.databasePoolSize,
    sqliteSynchronous: config.sqliteSynchronous,
    migrate: config.migrateOnStart,
    onPoolError: (error) => logger.error({ err: error }, 'database connection error'),
    onCheckpointError: (message) => logger.warn({ error: message }, 'background WAL checkpoint failed'),
  });
  let redis: Redis | undefined;
  let challengeStore: ChallengeStore = store.challenges;
  if (config.redisUrl) {
    redis = connectRedis({
      url: config.redisUrl,
      onError: (error) => logger.error({ err: error }, 'redis connection error'),
    });
    challengeStore = new RedisChallengeStore(redis, config.redisKeyPrefix);
  }
  /** Closes the store and Redis; their failures are not worth failing start-up or shutdown over. */
  const closeBackends = async () => {
    await Promise.allSettled([store.close(), redis?.quit()]);
  };
  const challenges = new ChallengeService(challengeStore, clock, config.challenges, metrics.challenges);
  if (redis) {
    try {
      await withTimeout(pingRedis(redis), 5000);
    } catch (error) {
      await closeBackends();
      throw new Error(`cannot reach Redis (redisUrl): ${(error as Error).message}`, { cause: error });
    }
  }
  // A configured public URL is fixed; otherwise it is the address the server ends up listening on.
  let baseUrl = resolvePublicBaseUrl(config);
  const publicBaseUrl = () => baseUrl;
  let verifiers: ReturnType<typeof buildVerifiers>;
  try {
    verifiers = buildVerifiers(config, clock, logger, metrics, store, redis, challenges, keys, publicBaseUrl);
  } catch (error) {
    await closeBackends();
    throw error;
  }
  const stopPurging = challenges.startPurging((error) => logger.warn({ err: error }, 'challenge purge failed'));
  const decisions = createDecisionLog({
    config: config.decisionLog,
    store: store.decisionEvents,
    clock,
    metrics: metrics.decisionLog,
    onError: (error, during) =>
      logger.warn(
        { err: error },
        during === 'write' ? 'writing the decision log failed; retrying' : 'decision log purge failed',
      ),
  });
  // Metadata loads what the database holds and downloads in the background: it never delays the start.
  await verifiers.fido2?.metadata.start();
  // The stored policy bundles are read before the first request; PIP sources that fail keep the bundle's lists.
  await verifiers.dsr?.policies.start();

  return {
    config,
    clock,
    logger,
    metrics,
    store,
    redis,
    challenges,
    decisions,
    keys,
    warden: verifiers.warden,
    mdvm: verifiers.mdvm,
    fido2: verifiers.fido2,
    dsr: verifiers.dsr,
    provisioning: verifiers.provisioning,
    androidStatusList: () => verifiers.android.options.statusList?.state(),
    listeners: {},
    publicBaseUrl,
    listening(url) {
      if (!config.publicBaseUrl) baseUrl = url;
    },
    async checkReady() {
      const checks: ReadinessReport['checks'] = {};
      const probe = async (name: string, check: () => Promise<void>) => {
        try {
          await withTimeout(check(), 2000);
          checks[name] = 'ok';
        } catch (error) {
          logger.warn({ err: error, check: name }, 'readiness check failed');
          checks[name] = 'failed';
        }
      };
      await Promise.all([
        probe('database', () => store.ping()),
        ...(redis ? [probe('redis', () => pingRedis(redis))] : []),
      ]);
      return { ready: Object.values(checks).every((status) => status === 'ok'), checks };
    },
    async close() {
      stopPurging();
      await verifiers.fido2?.metadata.stop();
      await verifiers.dsr?.policies.stop();
      verifiers.provisioning?.stop();
      // Everything decided so far is written before the store closes.
      await decisions.stop();
      await closeBackends();
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The platform verifiers and the Warden service, from configuration. Configuration mistakes throw ConfigErrors naming the option. */
function buildVerifiers(
  config: KeywardConfig,
  clock: Clock,
  logger: Logger,
  metrics: Metrics,
  store: Store,
  redis: Redis | undefined,
  challenges: ChallengeService,
  keys: ServerKeys,
  publicBaseUrl: () => string,
) {
  const simulator = config.trustSimulatorRoots ? simulatorAnchors() : undefined;
  if (simulator)
    logger.warn(
      'trustSimulatorRoots is on: chains from the published simulator test roots are TRUSTED. Never in production.',
    );
  const android = androidVerifierFromConfig(config.android, {
    clock,
    ...(simulator ? { extraAnchors: simulator.android } : {}),
    onRevocationError: (error) =>
      logger.warn({ err: error }, 'refreshing the Android attestation status list failed; keeping the last good list'),
  });
  const appleVerifier: AppleVerifierFor = (appIds, environment) =>
    appleVerifierFromConfig(
      { ...config.apple, appIds: [...appIds], environment },
      simulator ? { extraAnchors: simulator.apple, extraReceiptAnchors: simulator.appleReceipts } : {},
    );
  const policies = resolvePolicies(
    {
      android: config.android.policy,
      appleAppIds: config.apple.appIds,
      appleEnvironment: config.apple.environment,
      appleVerifier,
    },
    config.warden.policies,
  );
  const ca = keys.bindingCa;
  const warden =
    ca &&
    new WardenService({
      config: config.warden,
      clock,
      publicBaseUrl,
      challenges,
      android,
      policies,
      ca,
      certificates: store.bindingCertificates,
      onIssued: (record) => {
        const fields = {
          serial: record.serial,
          policy: record.policy,
          platform: record.platform,
          summary: record.summary,
        };
        // While simulator roots are trusted every issuance is a warning, loudest for simulated devices.
        if (!simulator) logger.info(fields, 'binding certificate issued');
        else if (isSimulatorAnchor(String(record.summary.anchor)))
          logger.warn(fields, 'binding certificate issued for a SIMULATED device (trustSimulatorRoots is on)');
        else logger.warn(fields, 'binding certificate issued while trustSimulatorRoots is on');
      },
    });
  const mdvm =
    keys.mdvmSigningKeys &&
    buildMdvm(config, clock, logger, store, challenges, keys.macKeys, keys.mdvmSigningKeys, android, appleVerifier);
  const fido2 = config.fido2.enabled
    ? buildFido2(config, clock, logger, store, challenges, android, publicBaseUrl)
    : undefined;
  const dsr =
    keys.dsr &&
    dsrFromConfig(config, {
      clock,
      logger,
      metrics,
      store,
      challenges,
      macKeys: keys.macKeys,
      keys: keys.dsr,
      android,
      appleVerifier,
    });
  const provisioning =
    keys.mdocIssuer &&
    provisioningFromConfig(config, { clock, logger, metrics, store, redis, android, signer: keys.mdocIssuer });
  return { warden, mdvm, fido2, dsr, provisioning, android };
}

/** The WebAuthn relying party: its metadata service (not started yet), verifier and ceremonies. */
function buildFido2(
  config: KeywardConfig,
  clock: Clock,
  logger: Logger,
  store: Store,
  challenges: ChallengeService,
  android: AndroidVerifier,
  publicBaseUrl: () => string,
) {
  const { fido2: fido2Config } = config;
  const simulator = config.trustSimulatorRoots;
  const relyingParty = resolveRelyingParty(
    {
      rpId: fido2Config.rpId,
      rpName: fido2Config.rpName,
      origins: fido2Config.origins,
      publicBaseUrl: config.publicBaseUrl,
      port: config.port,
    },
    () => Number(new URL(publicBaseUrl()).port) || undefined,
  );
  for (const warning of relyingParty.warnings) logger.warn(`fido2: ${warning}`);
  const mode = effectiveAttestationMode(fido2Config, (message) => logger.warn(message));
  if (fido2Config.allowAdditionalCredentials)
    logger.warn(
      'fido2.allowAdditionalCredentials is on: anyone who can reach /fido2/attestation/* can add an authenticator to any existing user name and sign in as that user; keep it on only behind your own authentication',
    );
  const metadataLog = logger.child({ component: 'fido2-metadata' });
  const metadata = metadataServiceFromConfig(
    // The simulated authenticators' statements stand in for a local folder while their roots are trusted.
    simulator && !fido2Config.mds.folder
      ? { ...fido2Config.mds, folder: webauthnSimulatorMetadataFolder() }
      : fido2Config.mds,
    { clock, store: store.metadataBlobs, log: metadataLog },
  );
  const simulatorAnchors = simulator ? webauthnSimulatorAnchors() : undefined;
  const simulatorTrust = simulatorAnchors && new TrustAnchors(Object.values(simulatorAnchors).flat());
  const verifier = webauthnVerifierFromConfig(fido2Config, {
    mode,
    android,
    androidPolicy: config.android.policy,
    metadata: () => metadata.lookup(),
    ...(simulatorAnchors ? { simulatorAnchors } : {}),
  });
  const service = new Fido2Service({
    settings: fido2Config,
    mode,
    relyingParty: relyingParty.current,
    clock,
    challenges,
    users: store.webauthnUsers,
    credentials: store.webauthnCredentials,
    registrations: verifier,
    onRegistered: (credential, result) => {
      const fields = {
        credentialId: credential.credentialId,
        userHandle: credential.userHandle,
        fmt: result.fmt,
        attestationType: result.attestationType,
        trust: result.trust,
        aaguid: result.aaguid,
        ...(result.anchor ? { anchor: result.anchor } : {}),
        ...(result.metadata.found ? { metadata: result.metadata.description, statuses: result.metadata.statuses } : {}),
        ...(result.warnings.length > 0 ? { warnings: result.warnings } : {}),
      };
      // While simulator roots are trusted every registration is a warning, loudest for simulated authenticators.
      if (!simulatorTrust) logger.info(fields, 'WebAuthn credential registered');
      else if (endsAt(simulatorTrust, result.trustPath))
        logger.warn(fields, 'WebAuthn credential registered for a SIMULATED authenticator (trustSimulatorRoots is on)');
      else logger.warn(fields, 'WebAuthn credential registered while trustSimulatorRoots is on');
    },
    onPossiblyCloned: (credential, counter) =>
      logger.warn(
        {
          credentialId: credential.credentialId,
          userHandle: credential.userHandle,
          aaguid: credential.aaguid,
          storedCounter: credential.counter,
          counter,
        },
        'WebAuthn signature counter regressed: credential flagged as possibly cloned',
      ),
  });
  return { service, metadata };
}

function buildMdvm(
  config: KeywardConfig,
  clock: Clock,
  logger: Logger,
  store: Store,
  challenges: ChallengeService,
  macKeys: MacKeyRing,
  signingKeys: MdvmSigningKeys,
  android: AndroidVerifier,
  appleVerifier: AppleVerifierFor,
) {
  const { mdvm: mdvmConfig } = config;
  const appIds = mdvmConfig.ios.appIds.length > 0 ? mdvmConfig.ios.appIds : config.apple.appIds;
  const shared = {
    config: mdvmConfig,
    clock,
    accounts: store.mdvmAccounts,
    vulnerabilities: store.mdvmVulnerabilities,
    signingKeys,
  };
  const mdvm = new MdvmService({
    ...shared,
    challenges: new ChallengeTokens(challenges, macKeys, clock, PROTOCOL_PURPOSES.mdvm, {
      typ: 'auth-challenge+jwt',
      issuer: mdvmConfig.issuer,
      ttlSeconds: mdvmConfig.challengeTtlSeconds,
      nonceFormat: 'uuid',
    }),
    android,
    androidPolicy: overridePolicy(config.android.policy, mdvmConfig.android, 'mdvm.android'),
    // While simulator roots are trusted, every wallet instance they let in is a warning.
    ...(config.trustSimulatorRoots
      ? {
          onDecision: (decision: MdvmDecision) => {
            if (decision.anchors.some(isSimulatorAnchor))
              logger.warn(
                { mdvmWiId: decision.accountId, platform: decision.platform, anchors: decision.anchors },
                `MDVM ${decision.operation === 'register' ? 'registration' : 'renewal'} of a SIMULATED wallet instance (trustSimulatorRoots is on)`,
              );
          },
        }
      : {}),
    ...(appIds.length > 0
      ? { apple: appleVerifier(appIds, mdvmConfig.ios.environment || config.apple.environment) }
      : {}),
  });
  const operations = new MdvmOperations({
    ...shared,
    onRevoked: (account, reason) =>
      logger.warn({ mdvmWiId: account.id, platform: account.platform, reason }, 'MDVM account revoked'),
  });
  return { service: mdvm, operations };
}
