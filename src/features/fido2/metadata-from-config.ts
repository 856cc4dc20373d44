import { accessSync, constants, statSync } from 'node:fs';
import { shippedAnchors } from '../../assets.js';
import type { Clock } from '../../clock.js';
import { invalidConfiguration } from '../../config/config-error.js';
import type { Fido2MetadataConfig } from '../../config/fido2-metadata.js';
import { configuredAnchors } from '../../config/trust-anchors.js';
import { TrustAnchors, type TrustAnchor } from '../../crypto/x509/chain.js';
import type { MetadataBlobStore } from '../../store/webauthn-store.js';
import { crlSourceFactory, readCrlFiles } from './metadata-crls.js';
import { httpMetadataFetcher, type MetadataFetcher } from './metadata-fetch.js';
import { loadMetadataFolder, statementFiles } from './metadata-folder.js';
import { MetadataService, type MetadataLog } from './metadata-service.js';

/** GlobalSign Root CA – R3 (assets/roots): the FIDO Alliance's MDS3 BLOB signer chains to it. */
export const globalSignRootR3 = (): TrustAnchor[] =>
  shippedAnchors('roots/globalsign-root-r3.pem', 'GlobalSign Root CA - R3');

/**
 * The roots a BLOB may chain to unless its server names its own: GlobalSign Root CA – R3 and
 * fido2.mds.rootFiles (or the files of the CLI flag `option` names).
 */
export function metadataAnchors(
  config: Pick<Fido2MetadataConfig, 'rootFiles'>,
  option = 'fido2.mds.rootFiles',
): TrustAnchors {
  return new TrustAnchors([...globalSignRootR3(), ...configuredAnchors(config.rootFiles, option)]);
}

export interface MetadataDependencies {
  clock: Clock;
  store: MetadataBlobStore;
  log: MetadataLog;
  /** Default: HTTP(S) with fetch. */
  fetcher?: MetadataFetcher;
}

/**
 * The metadata service for fido2.mds, with every file it names checked now: roots and CRL files
 * must parse, the folder must be a readable directory and blobFile a readable file (ConfigError
 * naming the option otherwise). Statements in the folder are parsed at load, where a bad one is
 * only skipped; the BLOB file is read at every attempt, so an operator can replace it and refresh.
 */
export function metadataServiceFromConfig(
  config: Fido2MetadataConfig,
  dependencies: MetadataDependencies,
): MetadataService {
  const anchors = metadataAnchors(config);
  const servers = config.servers.map((server, index) => ({
    url: server.url,
    anchors: server.rootCertFile
      ? new TrustAnchors(configuredAnchors([server.rootCertFile], `fido2.mds.servers[${index}].rootCertFile`))
      : anchors,
  }));
  let crlFiles: ReturnType<typeof readCrlFiles>;
  try {
    crlFiles = readCrlFiles(config.crlFiles);
  } catch (error) {
    throw invalidConfiguration(`fido2.mds.crlFiles: ${(error as Error).message}`, { cause: error });
  }
  if (config.folder) checkFolder(config.folder);
  if (config.blobFile) checkReadable(config.blobFile, 'fido2.mds.blobFile');
  const fetcher = dependencies.fetcher ?? httpMetadataFetcher;
  const { log } = dependencies;
  const crls = crlSourceFactory({
    files: crlFiles,
    ...(config.blobFile ? {} : { fetch: { fetcher, timeoutMs: config.fetchTimeoutMs } }),
    onUnavailable: (url, why) => log.warn({ url, reason: why }, 'CRL of the metadata BLOB chain not obtained'),
  });
  return new MetadataService({
    clock: dependencies.clock,
    store: dependencies.store,
    enabled: config.enabled,
    servers: config.blobFile ? [] : servers,
    storedBlobAnchors: [anchors, ...servers.map((server) => server.anchors)],
    ...(config.blobFile ? { blobFile: { path: config.blobFile, anchors } } : {}),
    crls,
    crlCheck: config.crlCheck,
    graceDays: config.graceDays,
    startupRetries: config.startupRetries,
    startupRetryDelayMs: config.startupRetryDelaySeconds * 1000,
    retryIntervalMs: config.retryIntervalSeconds * 1000,
    storePollMs: config.storePollSeconds * 1000,
    fetcher,
    fetchTimeoutMs: config.fetchTimeoutMs,
    maxBlobBytes: config.maxBlobBytes,
    local: () => (config.folder ? loadMetadataFolder(config.folder) : { entries: [], skipped: [] }),
    log,
  });
}

function checkFolder(folder: string): void {
  try {
    if (!statSync(folder).isDirectory()) throw new Error('not a directory');
    statementFiles(folder);
  } catch (error) {
    throw invalidConfiguration(`fido2.mds.folder: cannot read ${folder}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function checkReadable(file: string, option: string): void {
  try {
    if (!statSync(file).isFile()) throw new Error('not a file');
    accessSync(file, constants.R_OK);
  } catch (error) {
    throw invalidConfiguration(`${option}: cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}
