import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ChallengeMetrics } from './challenges/challenge-service.js';
import type { DecisionLogMetrics } from './decision-log/decision-log.js';

/** One Prometheus registry per running server (not the global one), so tests can run several. */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'keyward_http_requests_total',
    help: 'HTTP requests by route, method and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'keyward_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  private readonly challengesIssued = new Counter({
    name: 'keyward_challenges_issued_total',
    help: 'Challenges issued by purpose.',
    labelNames: ['purpose'] as const,
    registers: [this.registry],
  });

  private readonly challengesConsumed = new Counter({
    name: 'keyward_challenges_consumed_total',
    help: 'Challenges consumed successfully by purpose.',
    labelNames: ['purpose'] as const,
    registers: [this.registry],
  });

  private readonly challengesRejected = new Counter({
    name: 'keyward_challenges_rejected_total',
    help: 'Challenge consumptions rejected, by purpose and error code.',
    labelNames: ['purpose', 'code'] as const,
    registers: [this.registry],
  });

  readonly wardenAttestations = new Counter({
    name: 'keyward_warden_attestations_total',
    help: 'Warden attestations by policy and outcome (SUCCESS or the Failure kind).',
    labelNames: ['policy', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly fido2Ceremonies = new Counter({
    name: 'keyward_fido2_ceremonies_total',
    help: 'WebAuthn registration and authentication results by outcome (ok, or the refusal code).',
    labelNames: ['ceremony', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly dsrDecisions = new Counter({
    name: 'keyward_dsr_decisions_total',
    help: 'DSR registrations, device attestations and token exchanges by outcome (ok, or the refusal code).',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly pepDecisions = new Counter({
    name: 'keyward_dsr_pep_decisions_total',
    help: 'PEP auth_request answers by profile and outcome (allow, deny, or malformed).',
    labelNames: ['profile', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly shadowDivergences = new Counter({
    name: 'keyward_dsr_shadow_divergences_total',
    help: 'PEP decisions where the simulation bundle decided otherwise than the active one (never enforced).',
    labelNames: ['simulationVersion'] as const,
    registers: [this.registry],
  });

  readonly provisioningMessages = new Counter({
    name: 'keyward_provisioning_messages_total',
    help: '/mdlServer messages by flow and outcome (ok, or the refusal code).',
    labelNames: ['flow', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly decisionsWritten = new Counter({
    name: 'keyward_decision_log_written_total',
    help: 'Decisions written to the decision log (decision_events).',
    registers: [this.registry],
  });

  private readonly decisionsDropped = new Counter({
    name: 'keyward_decision_log_dropped_total',
    help: 'Decisions dropped unwritten: more than decisionLog.maxBuffered waited while the database refused writes, or a stop could not write them.',
    registers: [this.registry],
  });

  readonly decisionLog: DecisionLogMetrics = {
    written: (count) => this.decisionsWritten.inc(count),
    dropped: (count) => this.decisionsDropped.inc(count),
  };

  readonly challenges: ChallengeMetrics = {
    issued: (purpose) => this.challengesIssued.inc({ purpose }),
    consumed: (purpose) => this.challengesConsumed.inc({ purpose }),
    rejected: (purpose, code) => this.challengesRejected.inc({ purpose, code }),
  };

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'keyward_' });
  }
}
