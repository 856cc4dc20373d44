import type { KeyObject } from 'node:crypto';
import type { Clock } from '../../clock.js';
import { isKeywardError, trustError } from '../../errors.js';
import type { BundleSlot, DsrBundleStore } from '../../store/dsr-store.js';
import { type VerifiedBundle, verifyBundle } from './bundles/bundle.js';
import { applyPipLists, type PipListKind, type PipLists, parsePipList } from './bundles/pip-lists.js';
import { verdictsDiffer } from './bundles/shadow.js';
import { preparePdpData, type PreparedPdpData } from './pdp/context.js';
import { decide } from './pdp/decide.js';
import type { ForwardedHeaders } from './pep/request-context.js';
import type { PepDecision, PepProfile, PolicyEnforcementPoint } from './pep/pep.js';

/** Reads a PIP source or a bundle URL: a file path or an http(s) URL; `etag` for conditional GETs. */
export type SourceReader = (
  source: string,
  etag?: string,
) => Promise<{ text: string; etag?: string } | { notModified: true }>;

export interface PolicyLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface DsrPoliciesOptions {
  clock: Clock;
  store: DsrBundleStore;
  /** Administration keys by kid (JWK thumbprint). */
  adminKeys: ReadonlyMap<string, KeyObject>;
  /** In force while no bundle has been stored (the shipped default set, version 0). */
  defaultBundle: VerifiedBundle;
  pep: PolicyEnforcementPoint;
  read: SourceReader;
  log: PolicyLog;
  pollMs: number;
  bundleUrl?: string;
  pip: { sources: Partial<Record<PipListKind, string>>; refreshMs: number };
  onDivergence?(simulationVersion: number): void;
}

export interface BundleState {
  version: number;
  kid: string;
  /** When it came into force here (epoch ms). */
  since: number;
}

export interface PolicyState {
  active: BundleState;
  simulation: BundleState | undefined;
  pip: Partial<
    Record<PipListKind, { source: string; entries: number; refreshedAt: number } | { source: string; error: string }>
  >;
}

export interface Authorization {
  decision: PepDecision;
  /** Whether the simulation bundle decided otherwise (false without one). */
  divergent: boolean;
}

/**
 * DSR policy administration (PAP) and information (PIP) for the PEP: the active bundle (the
 * shipped default set until one is stored), an optional simulation bundle evaluated in its
 * shadow, and PIP lists refreshed from files or URLs and applied over both bundles' data.
 *
 * Bundles are stored in the database and every instance reads the store every `pollMs`, so all
 * switch within that interval; a stored bundle is verified again when read (a row written to the
 * database without an administrator's signature is ignored). A push must carry a higher version
 * than the stored one: the store's compare-and-set decides, also between instances.
 */
export class DsrPolicies {
  private active: VerifiedBundle;
  private simulation: VerifiedBundle | undefined;
  private simulationData: PreparedPdpData | undefined;
  private readonly since: Record<BundleSlot, number> = { active: 0, simulation: 0 };
  private pipLists: PipLists = {};
  private readonly pipState: PolicyState['pip'] = {};
  private bundleEtag: string | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private polling: Promise<void> | undefined;

  constructor(private readonly options: DsrPoliciesOptions) {
    this.active = options.defaultBundle;
    this.since.active = options.clock.now();
  }

  /** Loads the stored bundles and the PIP lists, then keeps them fresh in the background. */
  async start(): Promise<void> {
    await Promise.all([this.poll(), this.refreshPip()]);
    const every = (ms: number, run: () => Promise<void>) => {
      // Neither run throws; a failure here would still only be logged, never end the process.
      const timer = setInterval(() => {
        run().catch((error) => this.options.log.warn({ err: error }, 'DSR policy refresh failed'));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.options.pollMs, () => this.poll());
    if (Object.keys(this.options.pip.sources).length > 0) every(this.options.pip.refreshMs, () => this.refreshPip());
  }

  async stop(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    await Promise.all([this.polling, this.refreshing]);
  }

  state(): PolicyState {
    const view = (bundle: VerifiedBundle, slot: BundleSlot): BundleState => ({
      version: bundle.version,
      kid: bundle.kid,
      since: this.since[slot],
    });
    return {
      active: view(this.active, 'active'),
      simulation: this.simulation && view(this.simulation, 'simulation'),
      pip: { ...this.pipState },
    };
  }

  /** The bundle of a slot as signed (for the operator API and `keyward dsr`). */
  bundle(slot: BundleSlot): VerifiedBundle | undefined {
    return slot === 'active' ? this.active : this.simulation;
  }

  /**
   * Verifies a pushed bundle and stores it if its version is above the stored one; it is in
   * force here at once and on the other instances at their next poll. Throws the
   * DSR_BUNDLE_* codes.
   */
  async push(slot: BundleSlot, jws: string): Promise<VerifiedBundle> {
    const current = slot === 'active' ? this.active.version : this.simulation?.version;
    const bundle = verifyBundle(jws, {
      keys: this.options.adminKeys,
      ...(current === undefined ? {} : { minVersion: current }),
    });
    const stored = await this.options.store.put({
      slot,
      version: bundle.version,
      kid: bundle.kid,
      jws,
      storedAt: this.options.clock.now(),
    });
    if (!stored)
      throw trustError('DSR_BUNDLE_VERSION_STALE', 'The policy bundle is not newer than the one in force.', {
        detail: `version ${bundle.version} is not above the stored ${slot} bundle's`,
      });
    this.apply(slot, bundle);
    return bundle;
  }

  /** Removes the simulation bundle (its version is kept: a later one must be newer). */
  async clearSimulation(): Promise<boolean> {
    const cleared = await this.options.store.clear('simulation');
    this.simulation = undefined;
    this.simulationData = undefined;
    return cleared;
  }

  /** One PEP decision with the active bundle, shadowed by the simulation bundle. */
  authorize(headers: ForwardedHeaders, profile: PepProfile, options: { remoteAddress?: string } = {}): Authorization {
    const decision = this.options.pep.decide(headers, profile, this.options.clock.now(), options);
    const simulation = this.simulation;
    if (!simulation || !decision.input || !decision.verdict || !this.simulationData)
      return { decision, divergent: false };
    let divergent: boolean;
    try {
      const shadow = decide(simulation.policies, this.simulationData, decision.input);
      divergent = verdictsDiffer(decision.verdict, shadow.verdict);
      if (divergent)
        this.options.log.info(
          {
            decisionId: decision.decisionId,
            activeVersion: this.active.version,
            simulationVersion: simulation.version,
            active: decision.verdict,
            simulation: shadow.verdict,
          },
          'DSR simulation bundle diverges from the active bundle',
        );
    } catch (error) {
      divergent = true;
      this.options.log.warn(
        { err: error, simulationVersion: simulation.version },
        'DSR simulation bundle could not be evaluated',
      );
    }
    if (divergent) this.options.onDivergence?.(simulation.version);
    return { decision, divergent };
  }

  /** Puts a bundle in force: its data (with the PIP lists) is prepared first, so a failure changes nothing. */
  private apply(slot: BundleSlot, bundle: VerifiedBundle): void {
    const data = this.withLists(bundle, this.pipLists);
    if (slot === 'active') {
      this.options.pep.update({ policies: bundle.policies, data });
      this.active = bundle;
    } else {
      this.simulation = bundle;
      this.simulationData = data;
    }
    this.since[slot] = this.options.clock.now();
    this.options.log.info({ slot, version: bundle.version, kid: bundle.kid }, 'DSR policy bundle in force');
  }

  /** A bundle's data with the PIP lists applied over it. */
  private withLists(bundle: VerifiedBundle, lists: PipLists): PreparedPdpData {
    return Object.keys(lists).length === 0 ? bundle.data : preparePdpData(applyPipLists(bundle.payload.data, lists));
  }

  /** Reads the stored bundles (and polls the bundle URL); never throws. */
  poll(): Promise<void> {
    this.polling ??= (async () => {
      try {
        if (this.options.bundleUrl) await this.pollUrl(this.options.bundleUrl);
      } catch (error) {
        this.options.log.warn(
          { url: this.options.bundleUrl, error: (error as Error).message },
          'polling dsr.bundles.url failed; keeping the bundle in force',
        );
      }
      try {
        for (const slot of ['active', 'simulation'] as const) await this.loadStored(slot);
      } catch (error) {
        this.options.log.warn(
          { err: error },
          'reading the stored DSR policy bundles failed; keeping the ones in force',
        );
      } finally {
        this.polling = undefined;
      }
    })();
    return this.polling;
  }

  private async loadStored(slot: BundleSlot): Promise<void> {
    const stored = await this.options.store.get(slot);
    if (!stored) {
      if (slot === 'simulation' && this.simulation) {
        this.simulation = undefined;
        this.simulationData = undefined;
      }
      return;
    }
    const current = this.bundle(slot);
    if (current && current.version === stored.version && current.kid === stored.kid) return;
    // The store only ever moves forward: an older row (a restored backup, a hand edit) is no rollback.
    if (current && stored.version < current.version) {
      this.options.log.warn(
        { slot, stored: stored.version, inForce: current.version },
        'stored DSR policy bundle is older than the one in force; ignored',
      );
      return;
    }
    try {
      this.apply(slot, verifyBundle(stored.jws, { keys: this.options.adminKeys }));
    } catch (error) {
      this.options.log.warn(
        { slot, version: stored.version, code: isKeywardError(error) ? error.code : undefined, err: error },
        'stored DSR policy bundle does not verify; ignored',
      );
    }
  }

  private async pollUrl(url: string): Promise<void> {
    const answer = await this.options.read(url, this.bundleEtag);
    if ('notModified' in answer) return;
    const jws = answer.text.trim();
    try {
      await this.push('active', jws);
      this.bundleEtag = answer.etag;
    } catch (error) {
      if (isKeywardError(error) && error.code === 'DSR_BUNDLE_VERSION_STALE') {
        this.bundleEtag = answer.etag;
        return;
      }
      this.options.log.warn(
        {
          url,
          code: isKeywardError(error) ? error.code : undefined,
          detail: isKeywardError(error) ? error.detail : String(error),
        },
        'DSR policy bundle from dsr.bundles.url refused',
      );
    }
  }

  private refreshing: Promise<void> | undefined;

  /** Reads every PIP source; a list that fails keeps its last good entries. One refresh at a time. */
  refreshPip(): Promise<void> {
    this.refreshing ??= this.readPip().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async readPip(): Promise<void> {
    const sources = Object.entries(this.options.pip.sources) as [PipListKind, string][];
    if (sources.length === 0) return;
    const lists: PipLists = { ...this.pipLists };
    await Promise.all(
      sources.map(async ([kind, source]) => {
        try {
          const answer = await this.options.read(source);
          if ('notModified' in answer) return;
          lists[kind] = parsePipList(kind, answer.text, { source });
          this.pipState[kind] = { source, entries: lists[kind].length, refreshedAt: this.options.clock.now() };
        } catch (error) {
          const detail = isKeywardError(error) ? (error.detail ?? error.message) : (error as Error).message;
          this.pipState[kind] = { source, error: detail };
          this.options.log.warn({ kind, source, detail }, 'refreshing a DSR PIP list failed; keeping its last entries');
        }
      }),
    );
    try {
      const activeData = this.withLists(this.active, lists);
      const simulationData = this.simulation && this.withLists(this.simulation, lists);
      this.options.pep.update({ policies: this.active.policies, data: activeData });
      this.simulationData = simulationData;
      this.pipLists = lists;
    } catch (error) {
      this.options.log.warn({ err: error }, 'the DSR PIP lists do not fit the bundle data; keeping the lists in force');
    }
  }
}
