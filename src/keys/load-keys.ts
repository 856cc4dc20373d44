import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import { ConfigError } from '../config/load.js';
import type { KeywardConfig } from '../config/schema.js';
import { readOrCreateKeyFile } from './key-files.js';
import { generateMacKeyFile, parseMacKeyFile, type MacKeyRing } from './mac-keys.js';

export interface ServerKeys {
  macKeys: MacKeyRing;
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
  return { macKeys, development };
}

function parseOrConfigError<T>(option: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${option}: ${(error as Error).message}`);
  }
}
