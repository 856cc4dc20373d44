import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AndroidVerifier } from '../../attestation/android/verify.js';
import type { Clock } from '../../clock.js';
import type { KeywardConfig } from '../../config/schema.js';
import type { Metrics } from '../../metrics.js';
import type { ProvisioningSessionStore } from '../../store/provisioning-store.js';
import { RedisProvisioningSessionStore } from '../../store/redis/provisioning-session-store.js';
import type { Store } from '../../store/store.js';
import { overridePolicy } from '../warden/policies.js';
import type { DocumentSigner } from './issuer/issuer-ca-directory.js';
import { ProvisioningService } from './provisioning-service.js';
import { MdocRecords } from './records.js';

export interface ProvisioningComponents {
  service: ProvisioningService;
  /** The system of record's operations (persons, documents, codes) with their validation, for the operator API and the console. */
  records: MdocRecords;
  signer: DocumentSigner;
  /** Stops the purge of expired sessions. */
  stop(): void;
}

const PURGE_INTERVAL_MS = 60_000;

/** The provisioning server from configuration: sessions in Redis when configured, else in the database. */
export function provisioningFromConfig(
  config: KeywardConfig,
  context: {
    clock: Clock;
    logger: Logger;
    metrics: Metrics;
    store: Store;
    redis: Redis | undefined;
    android: AndroidVerifier;
    signer: DocumentSigner;
  },
): ProvisioningComponents {
  const { provisioning } = config;
  const { clock, metrics, store } = context;
  const log = context.logger.child({ component: 'provisioning' });
  const sessions: ProvisioningSessionStore = context.redis
    ? new RedisProvisioningSessionStore(context.redis, `${config.redisKeyPrefix}provisioning:`, clock)
    : store.provisioningSessions;
  const service = new ProvisioningService({
    clock,
    records: store.mdocRecords,
    sessions,
    android: {
      verifier: context.android,
      policy: overridePolicy(config.android.policy, provisioning.android, 'provisioning.android'),
    },
    signer: context.signer,
    settings: {
      sessionTtlSeconds: provisioning.sessionTtlSeconds,
      maxAuthKeys: provisioning.maxAuthKeys,
      mdocValidityDays: provisioning.mdocValidityDays,
      requireIdentityCredentialKey: provisioning.requireIdentityCredentialKey,
      allowTestCredential: provisioning.allowTestCredential,
      requireDeletionChallenge: provisioning.requireDeletionChallenge,
      messageLimits: { maxBytes: provisioning.maxBodyBytes },
    },
    onOutcome: (event) => {
      metrics.provisioningMessages.inc({ flow: event.flow ?? 'none', outcome: event.outcome });
      const fields = {
        flow: event.flow,
        messageType: event.messageType,
        sessionId: event.sessionId,
        docType: event.docType,
        ...(event.outcome === 'ok' ? {} : { code: event.outcome, detail: event.detail }),
      };
      // Refusals are logged by the route, with the request id; internal failures and completions here.
      if (event.error) log.error({ ...fields, err: event.error }, 'provisioning message failed: internal error');
      else if (event.outcome === 'ok' && event.ended) log.info(fields, 'provisioning flow completed');
    },
  });
  const purge = setInterval(() => {
    sessions
      .purgeExpired(clock.now())
      .catch((error) => log.warn({ err: error }, 'purging expired provisioning sessions failed'));
  }, PURGE_INTERVAL_MS);
  purge.unref();
  const records = new MdocRecords(store.mdocRecords, clock, { codeTtlSeconds: provisioning.codeTtlSeconds });
  return { service, records, signer: context.signer, stop: () => clearInterval(purge) };
}
