import { InvalidArgumentError, Option, type Command } from 'commander';
import { systemClock } from '../clock.js';
import type { KeywardConfig } from '../config/schema.js';
import { collect, parseInstant } from './byte-values.js';
import { readInputText } from './input-files.js';
import { addConfigOptions, configFromFlags, withConfiguredStore } from './options.js';
import { UsageError, asUsageError } from './usage-error.js';
import { printJson, printVerification } from './verify-output.js';

interface VerifyFlags {
  at?: number;
  root?: string[];
  crl?: string[];
  crlCheck?: 'ifAvailable' | 'required' | 'off';
  graceDays: number;
}

const CRL_CHECKS = ['ifAvailable', 'required', 'off'] as const;

function parseDays(text: string): number {
  const days = Number(text);
  if (!/^\d+$/.test(text) || days > 365) throw new InvalidArgumentError('must be a whole number of days 0–365');
  return days;
}

/**
 * `keyward mds …`: FIDO Metadata Service v3. `verify` checks a BLOB file offline (exit 0 verified,
 * 1 refused, 2 usage); `status`, `refresh` and `lookup` work on the configured database and
 * fido2.mds options, as a server would.
 */
export function registerMds(program: Command): void {
  const mds = program
    .command('mds')
    .description('FIDO Metadata Service v3: verify BLOBs, inspect, refresh and search the stored one');

  mds
    .command('verify')
    .description(
      'verify an MDS3 BLOB (chain to GlobalSign Root CA - R3 or --root, CRLs, signature, nextUpdate) and print {verified, no, nextUpdate, entries} as JSON',
    )
    .argument('<blob.jwt>', 'the BLOB as downloaded (a JWS in compact form)')
    .option('--at <ISO-8601>', 'verification time (default now)', parseInstant)
    .option('--root <pem>', 'PEM file of a further trusted root (repeatable)', collect)
    .option(
      '--crl <file>',
      'CRL file (DER or PEM) to check the chain against instead of fetching (repeatable); CRLs are then required unless --crl-check says otherwise',
      collect,
    )
    .addOption(new Option('--no-crl', 'check no CRLs (--crl-check off)'))
    .addOption(
      new Option(
        '--crl-check <mode>',
        'ifAvailable (default without --crl), required (default with --crl) or off',
      ).choices(CRL_CHECKS),
    )
    .option('--grace-days <days>', 'days past nextUpdate the BLOB is still accepted', parseDays, 7)
    .action(async (file: string, flags: VerifyFlags & { crl: string[] | false | undefined }) => {
      const jwt = readInputText(file, 'BLOB');
      const [{ verifyMetadataBlob }, { metadataAnchors }, { crlSourceFactory, readCrlFiles }, { httpMetadataFetcher }] =
        await Promise.all([
          import('../attestation/webauthn/metadata/blob.js'),
          import('../features/fido2/metadata-from-config.js'),
          import('../features/fido2/metadata-crls.js'),
          import('../features/fido2/metadata-fetch.js'),
        ]);
      const crlFiles = Array.isArray(flags.crl) ? flags.crl : [];
      if (flags.crl === false && flags.crlCheck && flags.crlCheck !== 'off')
        throw new UsageError('--no-crl contradicts --crl-check');
      const crlCheck =
        flags.crl === false ? 'off' : (flags.crlCheck ?? (crlFiles.length > 0 ? 'required' : 'ifAvailable'));
      const anchors = asUsageError(() => metadataAnchors({ rootFiles: flags.root ?? [] }, '--root'));
      const files = asUsageError(() => readCrlFiles(crlFiles));
      const warnings: string[] = [];
      const crls = crlSourceFactory({
        files,
        // Given CRL files, the check is offline: nothing is fetched.
        ...(crlFiles.length > 0 ? {} : { fetch: { fetcher: httpMetadataFetcher, timeoutMs: 30_000 } }),
        onUnavailable: (url, why) => warnings.push(`CRL ${url}: ${why}`),
      })();
      await printVerification(async () => {
        const blob = await verifyMetadataBlob(jwt, {
          anchors,
          at: flags.at ?? systemClock.now(),
          crls,
          crlCheck,
          graceDays: flags.graceDays,
        });
        return {
          no: blob.no,
          nextUpdate: blob.nextUpdate,
          entries: blob.entries.length,
          signer: blob.signer,
          anchor: blob.anchor,
          crlCheck,
          legalHeader: blob.legalHeader,
          warnings: [...warnings, ...blob.warnings],
        };
      });
    });

  addConfigOptions(
    mds
      .command('status')
      .description(
        'print the stored BLOB and the local folder as the configuration sees them (exit 1 when no BLOB is trusted although metadata is enabled)',
      ),
  ).action(async (flags: Record<string, unknown>) => {
    await withMetadata(flags, {}, async ({ service, history }) => {
      const state = await service.load();
      printJson({ ...(await describe(service, state)), stored: await history() });
      process.exitCode = untrusted(state.status) ? 1 : 0;
    });
  });

  addConfigOptions(
    mds
      .command('refresh')
      .description(
        'download the BLOB from fido2.mds.servers (or read fido2.mds.blobFile), verify it and store it when newer than the stored one; print the outcome and the new state (exit 1 when it failed)',
      )
      .option('--blob-file <file>', 'read the BLOB from this file instead (sets fido2.mds.blobFile)'),
  ).action(async (flags: Record<string, unknown> & { blobFile?: string }) => {
    const overrides = flags.blobFile ? { 'fido2.mds.blobFile': flags.blobFile } : {};
    await withMetadata(flags, overrides, async ({ service, config }) => {
      if (!config.fido2.mds.enabled) throw new UsageError('fido2.mds.enabled is off: there is nothing to refresh');
      await service.load();
      const outcome = await service.refresh();
      printJson({ outcome, ...(await describe(service, service.state())) });
      process.exitCode = outcome === 'failed' ? 1 : 0;
    });
  });

  addConfigOptions(
    mds
      .command('lookup')
      .description(
        'look an authenticator up in the trusted metadata (stored BLOB and local folder) by AAGUID or U2F key identifier (exit 1 when not found)',
      )
      .argument(
        '<aaguid|keyId>',
        'AAGUID (dashed or 32 hex digits) or hex SHA-1 attestation certificate key identifier',
      ),
  ).action(async (id: string, flags: Record<string, unknown>) => {
    const { normalizeAaguid } = await import('../attestation/webauthn/metadata/index.js');
    const aaguid = normalizeAaguid(id);
    const keyId = /^[0-9a-f]{40}$/i.test(id) ? id.toLowerCase() : undefined;
    if (!aaguid && !keyId)
      throw new UsageError(`${id} is neither an AAGUID nor a 40-hex-digit attestation certificate key identifier`);
    await withMetadata(flags, {}, async ({ service, config }) => {
      const state = await service.load();
      const lookup = service.lookup();
      const entry = aaguid ? lookup?.byAaguid(aaguid) : lookup?.byKeyIdentifier(keyId!);
      const metadata = { status: state.status, no: state.no, nextUpdate: state.nextUpdate };
      if (!entry) {
        printJson({ found: false, ...(aaguid ? { aaguid } : { keyIdentifier: keyId }), metadata });
        process.exitCode = 1;
        return;
      }
      const { describeEntry } = await import('../features/fido2/metadata-describe.js');
      printJson({
        found: true,
        ...describeEntry(entry, systemClock.now(), {
          refuse: config.fido2.mds.refuseStatuses,
          minCertificationLevel: config.fido2.mds.minCertificationLevel,
        }),
        metadata,
      });
      process.exitCode = 0;
    });
  });
}

/** Statuses in which no BLOB is trusted although metadata is enabled. */
const untrusted = (status: string) => status === 'expired' || status === 'failed' || status === 'missing';

interface MetadataContext {
  config: KeywardConfig;
  service: import('../features/fido2/metadata-service.js').MetadataService;
  history: () => Promise<unknown[]>;
}

/** Opens the configured database and builds the metadata service as a server would (without its background work), then closes both. */
async function withMetadata(
  flags: Record<string, unknown>,
  overrides: Record<string, unknown>,
  run: (context: MetadataContext) => Promise<void>,
): Promise<void> {
  const { config } = configFromFlags(flags, overrides);
  const [{ metadataServiceFromConfig }, { createLogger }] = await Promise.all([
    import('../features/fido2/metadata-from-config.js'),
    import('../logger.js'),
  ]);
  await withConfiguredStore(config, async (store) => {
    const service = metadataServiceFromConfig(config.fido2.mds, {
      clock: systemClock,
      store: store.metadataBlobs,
      log: createLogger(config.logLevel, process.stderr),
    });
    try {
      await run({
        config,
        service,
        history: async () =>
          (await store.metadataBlobs.history()).map((blob) => ({
            ...blob,
            verifiedAt: new Date(blob.verifiedAt).toISOString(),
            storedAt: new Date(blob.storedAt).toISOString(),
          })),
      });
    } finally {
      await service.stop();
    }
  });
}

async function describe(
  service: import('../features/fido2/metadata-service.js').MetadataService,
  state: ReturnType<typeof service.state>,
) {
  const { metadataReadiness } = await import('../features/fido2/metadata-readiness.js');
  return { ...metadataReadiness(state), ...(state.source ? { source: state.source } : {}) };
}
