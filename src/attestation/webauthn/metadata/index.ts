import type { MetadataEntry, MetadataLookup } from '../types.js';
import { isUafEntry } from './statement.js';

const DASHED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNDASHED = /^[0-9a-f]{32}$/;

/** A dashed lower-case UUID from either case, dashed or as 32 hex digits; undefined when it is neither. */
export function normalizeAaguid(aaguid: string): string | undefined {
  const lower = aaguid.toLowerCase();
  if (DASHED.test(lower)) return lower;
  if (UNDASHED.test(lower))
    return `${lower.slice(0, 8)}-${lower.slice(8, 12)}-${lower.slice(12, 16)}-${lower.slice(16, 20)}-${lower.slice(20)}`;
  return undefined;
}

/** How many entries the index holds by what they are found by, and how many UAF entries it left out. */
export interface MetadataCounts {
  /** Entries found by AAGUID (FIDO2). */
  aaguid: number;
  /** Entries found by attestation certificate key identifiers (U2F). */
  keyIdentifier: number;
  /** UAF entries (AAID only), which WebAuthn never looks up. */
  uafSkipped: number;
}

/**
 * The metadata Keyward looks authenticators up in: the MDS BLOB's entries with the local
 * folder's on top. A local entry replaces the BLOB's entry for each AAGUID and each key
 * identifier it names; between local entries, the later one wins (and is reported in `warnings`).
 */
export class MetadataIndex implements MetadataLookup {
  private readonly byAaguidMap = new Map<string, MetadataEntry>();
  private readonly byKeyIdMap = new Map<string, MetadataEntry>();
  private readonly list: MetadataEntry[];
  readonly counts: MetadataCounts;
  /** Local entries that replaced other local entries. */
  readonly warnings: string[] = [];

  private constructor(mds: readonly MetadataEntry[], local: readonly MetadataEntry[]) {
    let uafSkipped = 0;
    const localIds = new Set<string>();
    const add = (entry: MetadataEntry, isLocal: boolean) => {
      if (isUafEntry(entry)) {
        uafSkipped++;
        return;
      }
      const keys = [
        ...(entry.aaguid === undefined ? [] : [`a:${entry.aaguid.toLowerCase()}`]),
        ...(entry.attestationCertificateKeyIdentifiers ?? []).map((keyId) => `k:${keyId.toLowerCase()}`),
      ];
      for (const key of keys) {
        if (isLocal && localIds.has(key))
          this.warnings.push(`${entry.source} replaces another local entry for ${key.slice(2)}`);
        if (isLocal) localIds.add(key);
        const map = key.startsWith('a:') ? this.byAaguidMap : this.byKeyIdMap;
        map.set(key.slice(2), entry);
      }
    };
    for (const entry of mds) add(entry, false);
    for (const entry of local) add(entry, true);
    const byAaguid = new Set(this.byAaguidMap.values());
    const byKeyId = new Set(this.byKeyIdMap.values());
    this.list = [...new Set([...byAaguid, ...byKeyId])];
    this.counts = { aaguid: byAaguid.size, keyIdentifier: byKeyId.size, uafSkipped };
  }

  /** An index of the BLOB's entries (`mds`) overridden by the local folder's (`local`). */
  static from(mds: readonly MetadataEntry[], local: readonly MetadataEntry[] = []): MetadataIndex {
    return new MetadataIndex(mds, local);
  }

  /** Distinct entries that can be found. */
  get size(): number {
    return this.list.length;
  }

  /** The entries that can be found, each once (in the order their identifiers were first indexed), for listings. */
  entries(): readonly MetadataEntry[] {
    return this.list;
  }

  /** By AAGUID, in either case, dashed or not. */
  byAaguid(aaguid: string): MetadataEntry | undefined {
    const key = normalizeAaguid(aaguid);
    return key === undefined ? undefined : this.byAaguidMap.get(key);
  }

  /** By hex SHA-1 key identifier (see keyIdentifierOf), in either case. */
  byKeyIdentifier(keyId: string): MetadataEntry | undefined {
    return this.byKeyIdMap.get(keyId.toLowerCase());
  }
}
