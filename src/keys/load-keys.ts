import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import { ConfigError } from '../config/load.js';
import type { KeywardConfig } from '../config/schema.js';
import { generateMdvmRoot, issueSigningKey, MdvmSigningKeys, signingKeyFile } from '../features/mdvm/signing-keys.js';
import { BindingCa, generateBindingCa } from '../features/warden/binding-ca.js';
import { readOrCreateKeyDirectory, readOrCreateKeyFile } from './key-files.js';
import { generateMacKeyFile, parseMacKeyFile, type MacKeyRing } from './mac-keys.js';

export interface ServerKeys {
  macKeys: MacKeyRing;
  /** The Warden binding-certificate CA. */
  bindingCa: BindingCa;
  /** The keys mdvm_tokens and revocation lists are signed with. */
  mdvmSigningKeys: MdvmSigningKeys;
  /** Key files generated for development, or in use from an earlier development start: start-up warns about each. */
  development: { name: string; path: string; created: boolean }[];
}

/** Loads configured key files; where none is configured, uses (or generates) development keys under dataDir. */
export function loadServerKeys(config: KeywardConfig, clock: Clock): ServerKeys {
  const development: ServerKeys['development'] = [];
  const load = <T>(option: string, configuredPath: string, devName: string, generate: () => string, parse: (text: string, source: string) => T): T => {
    if (configuredPath) {
      let text: string;
      try {
        text = readFileSync(configuredPath, 'utf8');
      } catch (error) {
        throw new ConfigError(`invalid configuration: ${option}: cannot read ${configuredPath}: ${(error as Error).message}`);
      }
      return parseOrConfigError(option, () => parse(text, configuredPath));
    }
    if (!config.keys.generateDevelopmentKeys) {
      throw new ConfigError(`invalid configuration: ${option} is empty and keys.generateDevelopmentKeys is false`);
    }
    const path = join(config.dataDir, 'keys', devName);
    const file = readOrCreateKeyFile(path, generate);
    development.push({ name: option, path, created: file.created });
    return parseOrConfigError(option, () => parse(file.data.toString('utf8'), path));
  };
  const macKeys = load('keys.macKeysFile', config.keys.macKeysFile, 'mac-keys.json', () => generateMacKeyFile(clock.now()), parseMacKeyFile);
  const bindingCa = loadBindingCa(config, clock, development);
  const mdvmSigningKeys = config.mdvm.signingKeysFile
    ? load('mdvm.signingKeysFile', config.mdvm.signingKeysFile, '', () => '', (text) => MdvmSigningKeys.parse(text))
    : loadDevelopmentMdvmKeys(config, clock, development);
  return { macKeys, bindingCa, mdvmSigningKeys, development };
}

function parseOrConfigError<T>(option: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${option}: ${(error as Error).message}`);
  }
}

const CA_FILES = { rootCertificate: 'root.pem', intermediateCertificate: 'intermediate.pem', intermediateKey: 'intermediate.key.pem', rootKey: 'root.key.pem' } as const;

/** The configured binding CA (all three files), or a development one generated once under <dataDir>/keys/binding-ca. */
function loadBindingCa(config: KeywardConfig, clock: Clock, development: ServerKeys['development']): BindingCa {
  const { rootCertificateFile, intermediateCertificateFile, intermediateKeyFile } = config.warden.ca;
  const configured = [rootCertificateFile, intermediateCertificateFile, intermediateKeyFile].filter(Boolean).length;
  if (configured === 3) {
    const read = (option: string, path: string) => {
      try {
        return readFileSync(path, 'utf8');
      } catch (error) {
        throw new ConfigError(`invalid configuration: ${option}: cannot read ${path}: ${(error as Error).message}`);
      }
    };
    const files = {
      rootCertificate: read('warden.ca.rootCertificateFile', rootCertificateFile),
      intermediateCertificate: read('warden.ca.intermediateCertificateFile', intermediateCertificateFile),
      intermediateKey: read('warden.ca.intermediateKeyFile', intermediateKeyFile),
    };
    return parseOrConfigError('warden.ca', () => new BindingCa(files));
  }
  if (configured > 0) throw new ConfigError('invalid configuration: warden.ca needs rootCertificateFile, intermediateCertificateFile and intermediateKeyFile together');
  if (!config.keys.generateDevelopmentKeys) {
    throw new ConfigError('invalid configuration: warden.ca files are empty and keys.generateDevelopmentKeys is false');
  }
  const directory = join(config.dataDir, 'keys', 'binding-ca');
  const { files, created } = readOrCreateKeyDirectory(directory, Object.values(CA_FILES), () => {
    const generated = generateBindingCa(clock.now(), 'Keyward Development Binding CA');
    return Object.fromEntries(Object.entries(CA_FILES).map(([field, name]) => [name, generated[field as keyof typeof CA_FILES]]));
  });
  development.push({ name: 'warden.ca', path: directory, created });
  return parseOrConfigError('warden.ca', () =>
    new BindingCa({ rootCertificate: files[CA_FILES.rootCertificate]!, intermediateCertificate: files[CA_FILES.intermediateCertificate]!, intermediateKey: files[CA_FILES.intermediateKey]! }),
  );
}

export const MDVM_KEY_FILES = { rootCertificate: 'root.pem', rootKey: 'root.key.pem', signingKeys: 'signing-keys.json' } as const;

/** A development MDVM root and one signing key, generated once under <dataDir>/keys/mdvm. */
function loadDevelopmentMdvmKeys(config: KeywardConfig, clock: Clock, development: ServerKeys['development']): MdvmSigningKeys {
  if (!config.keys.generateDevelopmentKeys) {
    throw new ConfigError('invalid configuration: mdvm.signingKeysFile is empty and keys.generateDevelopmentKeys is false');
  }
  const directory = join(config.dataDir, 'keys', 'mdvm');
  const { files, created } = readOrCreateKeyDirectory(directory, Object.values(MDVM_KEY_FILES), () => {
    const root = generateMdvmRoot(clock.now(), 'Keyward Development MDVM Root');
    return { [MDVM_KEY_FILES.rootCertificate]: root.certificate, [MDVM_KEY_FILES.rootKey]: root.key, [MDVM_KEY_FILES.signingKeys]: signingKeyFile([issueSigningKey(root, clock.now())]) };
  });
  development.push({ name: 'mdvm.signingKeysFile', path: directory, created });
  return parseOrConfigError('mdvm.signingKeysFile', () => MdvmSigningKeys.parse(files[MDVM_KEY_FILES.signingKeys]!));
}
