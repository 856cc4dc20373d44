import { readFileSync } from 'node:fs';
import type { CrlSource } from '../../attestation/webauthn/metadata/blob.js';
import { sameBytes } from '../../crypto/bytes.js';
import { parseCrl, type ParsedCrl } from '../../crypto/x509/crl.js';
import { isKeywardError } from '../../errors.js';
import { fetchCrl, type MetadataFetcher } from './metadata-fetch.js';

/** CRLs of big CAs run to a few megabytes. */
const MAX_CRL_BYTES = 32 * 1024 * 1024;

/** A CRL an operator gave as a file (fido2.mds.crlFiles, `mds verify --crl`). */
export interface CrlFile {
  file: string;
  crl: ParsedCrl;
}

/** Reads and parses CRL files (DER or PEM); a file that cannot be read or parsed throws an Error naming it. */
export function readCrlFiles(files: readonly string[]): CrlFile[] {
  return files.map((file) => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      throw new Error(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
    }
    try {
      return { file, crl: parseCrl(bytes, 'METADATA_CRL_INVALID') };
    } catch (error) {
      if (!isKeywardError(error)) throw error;
      throw new Error(`${file} is not a CRL: ${error.detail ?? error.message}`, { cause: error });
    }
  });
}

export interface CrlSourceOptions {
  files: readonly CrlFile[];
  /** How to fetch distribution points no file answers for; absent (offline): files only. */
  fetch?: { fetcher: MetadataFetcher; timeoutMs: number };
  /** Told about each distribution point that gave no CRL (the verifier decides what that means under crlCheck). */
  onUnavailable?: (url: string, why: string) => void;
}

/** The CrlSource for verifying BLOBs; `signal` aborts its fetches (the service stopping). */
export type CrlSourceFactory = (signal?: AbortSignal) => CrlSource;

/**
 * The CRL for a certificate of a BLOB's chain: a configured file from the certificate's issuer
 * (matched by the issuer name's DER; the newest such file when there are several), else the
 * distribution point fetched over HTTP(S) unless offline. The verifier checks every CRL's issuer,
 * signature and validity itself; this only finds them.
 */
export function crlSourceFactory(options: CrlSourceOptions): CrlSourceFactory {
  return (signal) => async (url, certificate) => {
    const file = newestFrom(options.files, certificate.issuerDer);
    if (file) return file.crl.der;
    if (!options.fetch) {
      options.onUnavailable?.(url, 'offline, and no configured CRL file is from this issuer');
      return undefined;
    }
    const { fetcher, timeoutMs } = options.fetch;
    return fetchCrl(
      url,
      fetcher,
      { timeoutMs, maxBytes: MAX_CRL_BYTES, ...(signal ? { signal } : {}) },
      (failed, why) => options.onUnavailable?.(failed, why),
    );
  };
}

function newestFrom(files: readonly CrlFile[], issuerDer: Uint8Array): CrlFile | undefined {
  let newest: CrlFile | undefined;
  for (const file of files)
    if (sameBytes(file.crl.issuerDer, issuerDer) && (!newest || file.crl.thisUpdate > newest.crl.thisUpdate))
      newest = file;
  return newest;
}
