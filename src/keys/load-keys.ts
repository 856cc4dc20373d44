import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { Clock } from '../clock.js';
import { ConfigError } from '../config/load.js';
import type { KeywardConfig } from '../config/schema.js';
import { generateMdvmKeyDirectory, MDVM_KEY_FILES, MdvmSigningKeys } from '../features/mdvm/signing-keys.js';
import { BindingCa, generateBindingCaDirectory } from '../features/warden/binding-ca.js';
import { CA_DIRECTORY_FILES, type IssuingCaFiles } from '../crypto/x509/issuing-ca.js';
import { DeviceCa, generateDeviceCaDirectory } from '../features/dsr/device-ca/device-ca.js';
import { DsrSigningKeys, dsrSigningKeyFile, generateDsrSigningKey } from '../features/dsr/signing-keys.js';
import { generateDevelopmentTlsCertificate } from '../crypto/x509/tls-certificate.js';
import { resolvePublicBaseUrl } from '../config/derived.js';
import {
  type DocumentSigner,
  generateIssuerCaDirectory,
  ISSUER_CA_FILES,
  loadDocumentSigner,
} from '../features/provisioning/issuer/issuer-ca-directory.js';
import { readOrCreateKeyDirectory, readOrCreateKeyFile } from './key-files.js';
import { generateMacKeyFile, parseMacKeyFile, type MacKeyRing } from './mac-keys.js';

/** A key file or directory generated for development, or in use from an earlier development start. */
export interface DevelopmentKey {
  name: string;
  path: string;
  created: boolean;
}

export interface ServerKeys {
  macKeys: MacKeyRing;
  /** The Warden binding-certificate CA; absent when the Warden endpoint is disabled. */
  bindingCa?: BindingCa;
  /** The keys mdvm_tokens and revocation lists are signed with; absent when MDVM is disabled. */
  mdvmSigningKeys?: MdvmSigningKeys;
  /** DSR's device CA and device-token keys; absent when DSR is disabled. */
  dsr?: { deviceCa: DeviceCa; signingKeys: DsrSigningKeys };
  /** The TLS listener's certificate chain and key (PEM); absent when DSR or the listener is disabled. */
  tls?: TlsKeys;
  /** The mdoc issuer (IACA and document signer); absent when provisioning is disabled. */
  mdocIssuer?: DocumentSigner;
  /** Start-up warns about each. */
  development: DevelopmentKey[];
}

export interface TlsKeys {
  certificate: string;
  key: string;
}

/**
 * Loads the configured key files of the enabled features; where none is configured, uses (or
 * generates) development keys under dataDir. Every problem is a ConfigError naming the option.
 */
export function loadServerKeys(config: KeywardConfig, clock: Clock): ServerKeys {
  const development: DevelopmentKey[] = [];
  const keys: ServerKeys = { macKeys: loadMacKeys(config, clock, development), development };
  if (config.warden.enabled) keys.bindingCa = loadBindingCa(config, clock, development);
  if (config.mdvm.enabled) keys.mdvmSigningKeys = loadMdvmSigningKeys(config, clock, development);
  if (config.dsr.enabled) {
    keys.dsr = {
      deviceCa: loadDeviceCa(config, clock, development),
      signingKeys: loadDsrSigningKeys(config, clock, development),
    };
    if (config.tls.enabled) keys.tls = loadTlsKeys(config, clock, development);
  }
  if (config.provisioning.enabled) keys.mdocIssuer = loadMdocIssuer(config, clock, development);
  return keys;
}

function loadMacKeys(config: KeywardConfig, clock: Clock, development: DevelopmentKey[]): MacKeyRing {
  const option = 'keys.macKeysFile';
  const configured = config.keys.macKeysFile;
  if (configured) {
    const text = readConfigured(option, configured);
    return parseOrConfigError(option, () => parseMacKeyFile(text, configured));
  }
  const path = developmentPath(config, `${option} is empty`, 'mac-keys.json');
  const file = readOrCreateKeyFile(path, () => generateMacKeyFile(clock.now()));
  development.push({ name: option, path, created: file.created });
  return parseOrConfigError(option, () => parseMacKeyFile(file.data.toString('utf8'), path));
}

/** The configured binding CA (all three files), or a development one generated once under <dataDir>/keys/binding-ca. */
export function loadBindingCa(config: KeywardConfig, clock: Clock, development: DevelopmentKey[] = []): BindingCa {
  return loadCaFiles(
    issuingCaSource('warden.ca', config.warden.ca, 'binding-ca', (at) =>
      generateBindingCaDirectory(at, 'Keyward Development Binding CA'),
    ),
    (files) => new BindingCa(files),
    config,
    clock,
    development,
  );
}

/**
 * Where a CA's PEM files come from: one option holding several file options, all configured or
 * none; with none, a development directory under <dataDir>/keys, generated once.
 */
interface CaFilesSource<K extends string> {
  /** The option holding the file options, e.g. warden.ca. */
  option: string;
  /** Each file option (its name under `option`) and the part it holds. */
  options: Readonly<Record<K, string>>;
  /** The configured paths by file option (the option object; other members are ignored). */
  configured: Readonly<Record<string, unknown>>;
  directoryName: string;
  /** The development directory's file name of each part. */
  directoryFiles: Readonly<Record<K, string>>;
  /** Further files a development directory keeps (the root key, for issuing again), not read here. */
  keptFiles: readonly string[];
  generate(at: number): Record<string, string>;
}

/** An issuing CA's three files (root, intermediate, intermediate key), as warden.ca and dsr.deviceCa name them. */
function issuingCaSource(
  option: string,
  configured: Readonly<Record<string, unknown>>,
  directoryName: string,
  generate: (at: number) => Record<string, string>,
): CaFilesSource<keyof IssuingCaFiles> {
  return {
    option,
    options: {
      rootCertificate: 'rootCertificateFile',
      intermediateCertificate: 'intermediateCertificateFile',
      intermediateKey: 'intermediateKeyFile',
    },
    configured,
    directoryName,
    directoryFiles: {
      rootCertificate: CA_DIRECTORY_FILES.rootCertificate,
      intermediateCertificate: CA_DIRECTORY_FILES.intermediateCertificate,
      intermediateKey: CA_DIRECTORY_FILES.intermediateKey,
    },
    keptFiles: [CA_DIRECTORY_FILES.rootKey],
    generate,
  };
}

/** "a, b and c". */
const listed = (names: readonly string[]) => `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

/** A CA's files, all configured or none and a development directory; `build` checks them (ConfigError naming the option). */
function loadCaFiles<K extends string, T>(
  source: CaFilesSource<K>,
  build: (files: Record<K, string>) => T,
  config: KeywardConfig,
  clock: Clock,
  development: DevelopmentKey[],
): T {
  const { option } = source;
  const parts = Object.keys(source.options) as K[];
  const paths = parts.map((part) => {
    const path = source.configured[source.options[part]];
    return typeof path === 'string' ? path : '';
  });
  const configured = paths.filter(Boolean).length;
  if (configured === parts.length) {
    const files = Object.fromEntries(
      parts.map((part, index) => [part, readConfigured(`${option}.${source.options[part]}`, paths[index]!)]),
    ) as Record<K, string>;
    return parseOrConfigError(option, () => build(files));
  }
  if (configured > 0)
    throw new ConfigError(
      `invalid configuration: ${option} needs ${listed(parts.map((part) => source.options[part]))} together`,
    );
  const directory = developmentPath(config, `${option} files are empty`, source.directoryName);
  const { files, created } = readOrCreateKeyDirectory(
    directory,
    [...Object.values<string>(source.directoryFiles), ...source.keptFiles],
    () => source.generate(clock.now()),
  );
  development.push({ name: option, path: directory, created });
  const byPart = Object.fromEntries(parts.map((part) => [part, files[source.directoryFiles[part]] ?? ''])) as Record<
    K,
    string
  >;
  return parseOrConfigError(option, () => build(byPart));
}

/** The configured signing-key file, or a development MDVM root and one signing key generated once under <dataDir>/keys/mdvm. */
function loadMdvmSigningKeys(config: KeywardConfig, clock: Clock, development: DevelopmentKey[]): MdvmSigningKeys {
  const option = 'mdvm.signingKeysFile';
  const configured = config.mdvm.signingKeysFile;
  if (configured) {
    const text = readConfigured(option, configured);
    return parseOrConfigError(option, () => MdvmSigningKeys.parse(text));
  }
  const directory = developmentPath(config, `${option} is empty`, 'mdvm');
  const { files, created } = readOrCreateKeyDirectory(
    directory,
    Object.values(MDVM_KEY_FILES),
    () => generateMdvmKeyDirectory(clock.now(), 'Keyward Development MDVM Root').files,
  );
  development.push({ name: option, path: directory, created });
  return parseOrConfigError(option, () => MdvmSigningKeys.parse(files[MDVM_KEY_FILES.signingKeys]!));
}

/** The configured device CA (all three files), or a development one generated once under <dataDir>/keys/dsr-device-ca. */
export function loadDeviceCa(config: KeywardConfig, clock: Clock, development: DevelopmentKey[] = []): DeviceCa {
  const { validityDays, ...files } = config.dsr.deviceCa;
  return loadCaFiles(
    issuingCaSource('dsr.deviceCa', files, 'dsr-device-ca', (at) =>
      generateDeviceCaDirectory(at, 'Keyward Development DSR Device CA'),
    ),
    (caFiles) => new DeviceCa(caFiles, { validityDays }),
    config,
    clock,
    development,
  );
}

/** The configured device-token keys, or one development key generated once under <dataDir>/keys/dsr-signing-keys.json. */
function loadDsrSigningKeys(config: KeywardConfig, clock: Clock, development: DevelopmentKey[]): DsrSigningKeys {
  const option = 'dsr.signingKeysFile';
  const configured = config.dsr.signingKeysFile;
  if (configured) {
    const text = readConfigured(option, configured);
    return parseOrConfigError(option, () => DsrSigningKeys.parse(text));
  }
  const path = developmentPath(config, `${option} is empty`, 'dsr-signing-keys.json');
  const file = readOrCreateKeyFile(path, () => dsrSigningKeyFile([generateDsrSigningKey(clock.now())]));
  development.push({ name: option, path, created: file.created });
  return parseOrConfigError(option, () => DsrSigningKeys.parse(file.data.toString('utf8')));
}

/** The configured IACA and document signer (all three files), or a development issuer generated once under <dataDir>/keys/mdoc-issuer. */
export function loadMdocIssuer(
  config: KeywardConfig,
  clock: Clock,
  development: DevelopmentKey[] = [],
): DocumentSigner {
  const { country, organization, crlUrl, ...configured } = config.provisioning.issuer;
  return loadCaFiles(
    {
      option: 'provisioning.issuer',
      options: {
        iacaCertificate: 'iacaCertificateFile',
        documentSignerCertificate: 'documentSignerCertificateFile',
        documentSignerKey: 'documentSignerKeyFile',
      },
      configured,
      directoryName: 'mdoc-issuer',
      directoryFiles: {
        iacaCertificate: ISSUER_CA_FILES.iacaCertificate,
        documentSignerCertificate: ISSUER_CA_FILES.documentSignerCertificate,
        documentSignerKey: ISSUER_CA_FILES.documentSignerKey,
      },
      keptFiles: [ISSUER_CA_FILES.iacaKey],
      generate: (at) =>
        generateIssuerCaDirectory(
          { country, organization, crlUrl: crlUrl || `${resolvePublicBaseUrl(config)}/mdoc/iaca.crl` },
          at,
        ),
    },
    (files) => loadDocumentSigner(files, { at: clock.now() }),
    config,
    clock,
    development,
  );
}

const TLS_FILES = { certificate: 'certificate.pem', key: 'key.pem' } as const;

/** The configured TLS certificate and key, or a development pair for localhost generated once under <dataDir>/keys/tls. */
function loadTlsKeys(config: KeywardConfig, clock: Clock, development: DevelopmentKey[]): TlsKeys {
  const { certFile, keyFile } = config.tls;
  if (certFile && keyFile) {
    const keys = { certificate: readConfigured('tls.certFile', certFile), key: readConfigured('tls.keyFile', keyFile) };
    // A certificate and key that do not belong together stop the start here, naming the options.
    parseOrConfigError('tls.certFile/tls.keyFile', () =>
      createSecureContext({ cert: keys.certificate, key: keys.key }),
    );
    return keys;
  }
  if (certFile || keyFile) throw new ConfigError('invalid configuration: tls.certFile and tls.keyFile go together');
  const directory = developmentPath(config, 'tls.certFile and tls.keyFile are empty', 'tls');
  const { files, created } = readOrCreateKeyDirectory(directory, Object.values(TLS_FILES), () => {
    const generated = generateDevelopmentTlsCertificate(clock.now(), ['localhost', '127.0.0.1', '::1']);
    return { [TLS_FILES.certificate]: generated.certificate, [TLS_FILES.key]: generated.key };
  });
  development.push({ name: 'tls.certFile', path: directory, created });
  return { certificate: files[TLS_FILES.certificate]!, key: files[TLS_FILES.key]! };
}

function readConfigured(option: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${option}: cannot read ${path}: ${(error as Error).message}`);
  }
}

/** Where a development key lives under dataDir, if development keys may be used at all. */
function developmentPath(config: KeywardConfig, problem: string, name: string): string {
  if (!config.keys.generateDevelopmentKeys)
    throw new ConfigError(`invalid configuration: ${problem} and keys.generateDevelopmentKeys is false`);
  return join(config.dataDir, 'keys', name);
}

function parseOrConfigError<T>(option: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${option}: ${(error as Error).message}`);
  }
}
