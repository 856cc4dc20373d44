import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import { ConfigError } from '../config/load.js';
import type { KeywardConfig } from '../config/schema.js';
import { generateMdvmKeyDirectory, MDVM_KEY_FILES, MdvmSigningKeys } from '../features/mdvm/signing-keys.js';
import {
  BINDING_CA_FILES,
  BindingCa,
  bindingCaFromDirectory,
  generateBindingCaDirectory,
} from '../features/warden/binding-ca.js';
import {
  DEVICE_CA_FILES,
  DeviceCa,
  deviceCaFromDirectory,
  generateDeviceCaDirectory,
} from '../features/dsr/device-ca/device-ca.js';
import { DsrSigningKeys, dsrSigningKeyFile, generateDsrSigningKey } from '../features/dsr/signing-keys.js';
import { generateDevelopmentTlsCertificate } from '../crypto/x509/tls-certificate.js';
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
  const { rootCertificateFile, intermediateCertificateFile, intermediateKeyFile } = config.warden.ca;
  const configured = [rootCertificateFile, intermediateCertificateFile, intermediateKeyFile].filter(Boolean).length;
  if (configured === 3) {
    const files = {
      rootCertificate: readConfigured('warden.ca.rootCertificateFile', rootCertificateFile),
      intermediateCertificate: readConfigured('warden.ca.intermediateCertificateFile', intermediateCertificateFile),
      intermediateKey: readConfigured('warden.ca.intermediateKeyFile', intermediateKeyFile),
    };
    return parseOrConfigError('warden.ca', () => new BindingCa(files));
  }
  if (configured > 0)
    throw new ConfigError(
      'invalid configuration: warden.ca needs rootCertificateFile, intermediateCertificateFile and intermediateKeyFile together',
    );
  const directory = developmentPath(config, 'warden.ca files are empty', 'binding-ca');
  const { files, created } = readOrCreateKeyDirectory(directory, Object.values(BINDING_CA_FILES), () =>
    generateBindingCaDirectory(clock.now(), 'Keyward Development Binding CA'),
  );
  development.push({ name: 'warden.ca', path: directory, created });
  return parseOrConfigError('warden.ca', () => bindingCaFromDirectory(files));
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
  const { rootCertificateFile, intermediateCertificateFile, intermediateKeyFile, validityDays } = config.dsr.deviceCa;
  const configured = [rootCertificateFile, intermediateCertificateFile, intermediateKeyFile].filter(Boolean).length;
  if (configured === 3) {
    const files = {
      rootCertificate: readConfigured('dsr.deviceCa.rootCertificateFile', rootCertificateFile),
      intermediateCertificate: readConfigured('dsr.deviceCa.intermediateCertificateFile', intermediateCertificateFile),
      intermediateKey: readConfigured('dsr.deviceCa.intermediateKeyFile', intermediateKeyFile),
    };
    return parseOrConfigError('dsr.deviceCa', () => new DeviceCa(files, { validityDays }));
  }
  if (configured > 0)
    throw new ConfigError(
      'invalid configuration: dsr.deviceCa needs rootCertificateFile, intermediateCertificateFile and intermediateKeyFile together',
    );
  const directory = developmentPath(config, 'dsr.deviceCa files are empty', 'dsr-device-ca');
  const { files, created } = readOrCreateKeyDirectory(directory, Object.values(DEVICE_CA_FILES), () =>
    generateDeviceCaDirectory(clock.now(), 'Keyward Development DSR Device CA'),
  );
  development.push({ name: 'dsr.deviceCa', path: directory, created });
  return parseOrConfigError('dsr.deviceCa', () => deviceCaFromDirectory(files, { validityDays }));
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

const TLS_FILES = { certificate: 'certificate.pem', key: 'key.pem' } as const;

/** The configured TLS certificate and key, or a development pair for localhost generated once under <dataDir>/keys/tls. */
function loadTlsKeys(config: KeywardConfig, clock: Clock, development: DevelopmentKey[]): TlsKeys {
  const { certFile, keyFile } = config.tls;
  if (certFile && keyFile)
    return { certificate: readConfigured('tls.certFile', certFile), key: readConfigured('tls.keyFile', keyFile) };
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
