import type { Clock } from '../../clock.js';
import type { MdvmConfig } from '../../config/mdvm.js';
import { contentError } from '../../errors.js';
import type {
  LeakedKey,
  MdvmAccount,
  MdvmAccountStore,
  MdvmPlatform,
  MdvmVulnerabilityStore,
  VulnerabilityClassification,
  VulnerableDeviceClass,
} from '../../store/mdvm-store.js';
import { androidIdentity, classMatches, iosIdentity, type AndroidAttested } from './device-checks.js';
import { fromStore } from './errors.js';
import { signRevocationList } from './revocation-list.js';
import type { MdvmSigningKeys } from './signing-keys.js';

export interface NewVulnerableClass {
  id: string;
  platform: MdvmPlatform;
  classification: VulnerabilityClassification;
  match: Record<string, unknown>;
  description?: string;
  /** Revoke the accounts already registered on matching devices (default: for unfixable classes only). */
  revokeAccounts?: boolean;
}

export interface ScanOutcome {
  /** Active accounts on matching devices. */
  affectedAccounts: number;
  revokedAccounts: number;
}

export interface MdvmOperationsDependencies {
  config: MdvmConfig;
  clock: Clock;
  accounts: MdvmAccountStore;
  vulnerabilities: MdvmVulnerabilityStore;
  signingKeys: MdvmSigningKeys;
  /** Told about every account an operator action revoked. */
  onRevoked?(account: MdvmAccount, reason: string): void;
}

const PAGE = 500;

/**
 * Operator actions: accounts (inspect, revoke, delete), vulnerable device classes and leaked
 * attestation keys — adding either refuses matching devices from then on and, by default for
 * what no update can fix, revokes the accounts already registered on them — and the signed
 * revocation list relying backends poll.
 */
export class MdvmOperations {
  constructor(private readonly deps: MdvmOperationsDependencies) {}

  async account(id: string): Promise<MdvmAccount> {
    const account = await this.deps.accounts.find(id);
    if (!account) throw contentError('ACCOUNT_NOT_FOUND', 'No account with this id.', { status: 404 });
    return account;
  }

  async revokeAccount(id: string, reason: string): Promise<MdvmAccount> {
    const outcome = await this.deps.accounts.revoke(id, reason, this.deps.clock.now());
    if (outcome === 'unknown') throw contentError('ACCOUNT_NOT_FOUND', 'No account with this id.', { status: 404 });
    if (outcome === 'already-revoked')
      throw contentError('ACCOUNT_REVOKED', 'The account is revoked.', { status: 409 });
    const account = await this.account(id);
    this.deps.onRevoked?.(account, reason);
    return account;
  }

  /** Deletion keeps a revoked tombstone (so relying backends learn of it and the key never registers again). */
  async deleteAccount(id: string): Promise<void> {
    const outcome = await this.deps.accounts.delete(id, this.deps.clock.now());
    if (outcome === 'unknown') throw contentError('ACCOUNT_NOT_FOUND', 'No account with this id.', { status: 404 });
  }

  async addVulnerableClass(input: NewVulnerableClass): Promise<{ deviceClass: VulnerableDeviceClass } & ScanOutcome> {
    checkMatch(input.platform, input.match);
    const deviceClass: VulnerableDeviceClass = {
      id: input.id,
      platform: input.platform,
      classification: input.classification,
      match: input.match,
      description: input.description ?? '',
      createdAt: this.deps.clock.now(),
    };
    if (!(await this.deps.vulnerabilities.addClass(deviceClass))) {
      throw contentError('VULNERABLE_CLASS_EXISTS', 'A vulnerable device class with this id exists.', { status: 409 });
    }
    const revoke = input.revokeAccounts ?? input.classification === 'unfixable';
    const outcome = await this.scan(
      (account) => account.platform === deviceClass.platform && classMatches(deviceClass, identityOf(account)),
      revoke ? `vulnerable-device-class ${deviceClass.id}`.slice(0, 64) : undefined,
    );
    return { deviceClass, ...outcome };
  }

  async removeVulnerableClass(id: string): Promise<void> {
    if (!(await this.deps.vulnerabilities.removeClass(id)))
      throw contentError('VULNERABLE_CLASS_UNKNOWN', 'No vulnerable device class with this id.', { status: 404 });
  }

  listVulnerableClasses(): Promise<VulnerableDeviceClass[]> {
    return this.deps.vulnerabilities.listClasses();
  }

  /** A compromised attestation key (e.g. a leaked keybox): refused from now on, and every account attested through it revoked. */
  async addLeakedKey(thumbprint: string, description = ''): Promise<{ key: LeakedKey } & ScanOutcome> {
    const key: LeakedKey = { thumbprint, description, createdAt: this.deps.clock.now() };
    if (!(await this.deps.vulnerabilities.addLeakedKey(key)))
      throw contentError('LEAKED_KEY_EXISTS', 'This key is already listed.', { status: 409 });
    const outcome = await this.scan(
      (account) => ((account.attested as { chainKeys?: string[] }).chainKeys ?? []).includes(thumbprint),
      'leaked-attestation-key',
    );
    return { key, ...outcome };
  }

  async removeLeakedKey(thumbprint: string): Promise<void> {
    if (!(await this.deps.vulnerabilities.removeLeakedKey(thumbprint)))
      throw contentError('LEAKED_KEY_UNKNOWN', 'This key is not listed.', { status: 404 });
  }

  listLeakedKeys(): Promise<LeakedKey[]> {
    return this.deps.vulnerabilities.listLeakedKeys();
  }

  /** The signed list of revocations at or after `since` (epoch seconds; default: as far back as a live token can reach). */
  async revocationList(since?: number): Promise<string> {
    const { config, clock, accounts, signingKeys } = this.deps;
    const now = clock.now();
    const from = since ?? Math.floor(now / 1000) - config.tokenLifetimeSeconds;
    const revocations = await fromStore(() => accounts.revokedSince(from * 1000, config.revocationListLimit + 1));
    const truncated = revocations.length > config.revocationListLimit;
    return signRevocationList(signingKeys.current, {
      issuer: config.issuer,
      now,
      since: from,
      revocations: revocations.slice(0, config.revocationListLimit),
      truncated,
    });
  }

  jwks() {
    return this.deps.signingKeys.jwks;
  }

  /** Every active account, page by page; revokes the matching ones when a reason is given. */
  private async scan(
    matches: (account: MdvmAccount) => boolean,
    revokeReason: string | undefined,
  ): Promise<ScanOutcome> {
    let after = '';
    let affectedAccounts = 0;
    let revokedAccounts = 0;
    for (;;) {
      const page = await this.deps.accounts.listActive(after, PAGE);
      for (const account of page) {
        if (!matches(account)) continue;
        affectedAccounts += 1;
        if (
          revokeReason &&
          (await this.deps.accounts.revoke(account.id, revokeReason, this.deps.clock.now())) === 'revoked'
        ) {
          revokedAccounts += 1;
          this.deps.onRevoked?.(account, revokeReason);
        }
      }
      if (page.length < PAGE) return { affectedAccounts, revokedAccounts };
      after = page.at(-1)!.id;
    }
  }
}

const identityOf = (account: MdvmAccount) =>
  account.platform === 'android'
    ? androidIdentity(account.attested as unknown as AndroidAttested, account.deviceClass)
    : iosIdentity(account.deviceClass);

const isList = (value: unknown) => Array.isArray(value) && value.length > 0;

/** A class must name what it matches: Android models and/or products, iOS models. */
function checkMatch(platform: MdvmPlatform, match: Record<string, unknown>): void {
  const named = platform === 'android' ? isList(match.models) || isList(match.products) : isList(match.models);
  if (!named) {
    throw contentError(
      'INVALID_REQUEST',
      `The request is invalid: a ${platform} device class must list ${platform === 'android' ? 'models or products' : 'models'}.`,
    );
  }
}
