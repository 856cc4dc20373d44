import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { Clock } from '../clock.js';
import { ConfigError } from '../config/load.js';
import type { KeywardConfig } from '../config/schema.js';
import { generateMdvmKeyDirectory, MDVM_KEY_FILES, MdvmSigningKeys } from '../features/mdvm/signing-keys.js';
import { BindingCa, generateBindingCaDirectory } from '../features/warden/binding-ca.js';
import { CA_DIRECTORY_FILES, type IssuingCaFiles, issuingCaFilesFromDirectory } from '../crypto/x509/issuing-ca.js';
import { DeviceCa, generateDeviceCaDirectory } from '../features/dsr/device-ca/device-ca.js';
import { DsrSigningKeys, dsrSigningKeyFile, generateDsrSigningKey } from '../features/dsr/signing-keys.js';
import { generateDevelopmentTlsCertificate } from '../crypto/x509/tls-certificate.js';
import { resolvePublicBaseUrl } from '../config/derived.js';
import {
  type DocumentSigner,
  generateIssuerCaDirectory,
  ISSUER_CA_FILES,
  type IssuerCaFiles,
  issuerCaFilesFromDirectory,
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
  return loadIssuingCa(
    {
      option: 'warden.ca',
      files: config.warden.ca,
      directoryName: 'binding-ca',
      developmentName: 'Keyward Development Binding CA',
      generate: generateBindingCaDirectory,
      build: (files) => new BindingCa(files),
    },
    config,
    clock,
    development,
  );
}

interface IssuingCaSource<T> {
  /** The option holding the three file options, e.g. warden.ca. */
  option: string;
  files: { rootCertificateFile: string; intermediateCertificateFile: string; intermediateKeyFile: string };
  /** The development CA's directory under <dataDir>/keys. */
  directoryName: string;
  developmentName: string;
  generate(at: number, name: string): Record<string, string>;
  build(files: IssuingCaFiles): T;
}

/** A CA of root, intermediate and intermediate key: all three files configured, or none and a development CA. */
function loadIssuingCa<T>(
  source: IssuingCaSource<T>,
  config: KeywardConfig,
  clock: Clock,
  development: DevelopmentKey[],
): T {
  const { option } = source;
  const { rootCertificateFile, intermediateCertificateFile, intermediateKeyFile } = source.files;
  const configured = [rootCertificateFile, intermediateCertificateFile, intermediateKeyFile].filter(Boolean).length;
  if (configured === 3) {
    const files = {
      rootCertificate: readConfigured(`${option}.rootCertificateFile`, rootCertificateFile),
      intermediateCertificate: readConfigured(`${option}.intermediateCertificateFile`, intermediateCertificateFile),
      intermediateKey: readConfigured(`${option}.intermediateKeyFile`, intermediateKeyFile),
    };
    return parseOrConfigError(option, () => source.build(files));
  }
  if (configured > 0)
    throw new ConfigError(
      `invalid configuration: ${option} needs rootCertificateFile, intermediateCertificateFile and intermediateKeyFile together`,
    );
  const directory = developmentPath(config, `${option} files are empty`, source.directoryName);
  const { files, created } = readOrCreateKeyDirectory(directory, Object.values(CA_DIRECTORY_FILES), () =>
    source.generate(clock.now(), source.developmentName),
  );
  development.push({ name: option, path: directory, created });
  return parseOrConfigError(option, () => source.build(issuingCaFilesFromDirectory(files)));
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
  return loadIssuingCa(
    {
      option: 'dsr.deviceCa',
      files,
      directoryName: 'dsr-device-ca',
      developmentName: 'Keyward Development DSR Device CA',
      generate: generateDeviceCaDirectory,
      build: (caFiles) => new DeviceCa(caFiles, { validityDays }),
    },
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
  const option = 'provisioning.issuer';
  const { iacaCertificateFile, documentSignerCertificateFile, documentSignerKeyFile, country, organization, crlUrl } =
    config.provisioning.issuer;
  const configured = [iacaCertificateFile, documentSignerCertificateFile, documentSignerKeyFile].filter(Boolean).length;
  const load = (files: IssuerCaFiles) =>
    parseOrConfigError(option, () => loadDocumentSigner(files, { at: clock.now() }));
  if (configured === 3)
    return load({
      iacaCertificate: readConfigured(`${option}.iacaCertificateFile`, iacaCertificateFile),
      documentSignerCertificate: readConfigured(
        `${option}.documentSignerCertificateFile`,
        documentSignerCertificateFile,
      ),
      documentSignerKey: readConfigured(`${option}.documentSignerKeyFile`, documentSignerKeyFile),
    });
  if (configured > 0)
    throw new ConfigError(
      `invalid configuration: ${option} needs iacaCertificateFile, documentSignerCertificateFile and documentSignerKeyFile together`,
    );
  const directory = developmentPath(config, `${option} files are empty`, 'mdoc-issuer');
  const { files, created } = readOrCreateKeyDirectory(directory, Object.values(ISSUER_CA_FILES), () =>
    generateIssuerCaDirectory(
      { country, organization, crlUrl: crlUrl || `${resolvePublicBaseUrl(config)}/mdoc/iaca.crl` },
      clock.now(),
    ),
  );
  development.push({ name: option, path: directory, created });
  return load(issuerCaFilesFromDirectory(files));
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
