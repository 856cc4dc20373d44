import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { ConfigSchema, type KeywardConfig } from './schema.js';
import { OPTIONS, SECTIONS, optionPath, type OptionInfo } from './options.js';
import { ConfigError, invalidConfiguration } from './config-error.js';
import { PROTOCOL_PURPOSES, isProtocolPurpose } from '../challenges/purposes.js';

export { ConfigError };

export interface ConfigSources {
  /** Path to a YAML or JSON file. */
  file?: string;
  /** Environment to read KEYWARD_* variables from (process.env in the CLI). */
  env?: Record<string, string | undefined>;
  /** Command-line flags by option path ("port", "challenges.bytes"), highest precedence. */
  flags?: Record<string, unknown>;
}

export interface LoadedConfig {
  config: KeywardConfig;
  /** KEYWARD_* variables that name no option (likely typos), for the caller to warn about. */
  unknownEnv: string[];
}

type Tree = Record<string, unknown>;

function setPath(tree: Tree, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const child = node[key];
    if (typeof child !== 'object' || child === null || Array.isArray(child)) node[key] = {};
    node = node[key] as Tree;
  }
  node[path[path.length - 1]!] = value;
}

function getPath(tree: Tree, path: readonly string[]): unknown {
  let node: unknown = tree;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Tree)[key];
  }
  return node;
}

function readFile(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(
      `config file ${file} is not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold a mapping of options`);
  }
  return parsed as Tree;
}

function optionAt(pointer: string): OptionInfo | undefined {
  const path = pointer.split('/').filter(Boolean).join('.');
  return OPTIONS.filter((option) => path === optionPath(option) || path.startsWith(`${optionPath(option)}.`)).at(0);
}

/** Defaults < config file < KEYWARD_* env vars < flags; the result is validated against the schema. */
export function loadConfig(sources: ConfigSources = {}): LoadedConfig {
  const tree: Tree = sources.file ? readFile(sources.file) : {};
  const origin = new Map<string, string>();
  for (const option of OPTIONS) {
    if (getPath(tree, option.path) !== undefined) origin.set(optionPath(option), `config file ${sources.file}`);
  }

  const env = sources.env ?? {};
  for (const option of OPTIONS) {
    const raw = env[option.env];
    if (raw === undefined) continue;
    let value: unknown = raw;
    if (option.json) {
      try {
        value = JSON.parse(raw);
      } catch {
        throw invalidConfiguration(`${optionPath(option)} (from ${option.env}) must be JSON`);
      }
    }
    setPath(tree, option.path, value);
    origin.set(optionPath(option), option.env);
  }
  for (const [path, value] of Object.entries(sources.flags ?? {})) {
    if (value === undefined) continue;
    setPath(tree, path.split('.'), value);
    origin.set(path, 'command-line flag');
  }

  const known = new Set(OPTIONS.map((option) => option.env));
  const unknownEnv = Object.keys(env).filter((name) => name.startsWith('KEYWARD_') && !known.has(name));

  // Defaults are filled per option (not with Value.Default, which would merge a record's default entries into the configured ones).
  // A section given as something other than a mapping is left alone, for validation to report.
  const parentsAreObjects = (path: readonly string[]) =>
    path.slice(0, -1).every((_, depth, parents) => {
      const parent = getPath(tree, parents.slice(0, depth + 1));
      return parent === undefined || (typeof parent === 'object' && parent !== null && !Array.isArray(parent));
    });
  for (const section of SECTIONS) {
    if (parentsAreObjects(section) && getPath(tree, section) === undefined) setPath(tree, section, {});
  }
  for (const option of OPTIONS) {
    if (
      parentsAreObjects(option.path) &&
      getPath(tree, option.path) === undefined &&
      option.schema.default !== undefined
    ) {
      setPath(tree, option.path, structuredClone(option.schema.default));
    }
  }
  const candidate = Value.Convert(ConfigSchema, tree);
  const first = Value.Errors(ConfigSchema, candidate).First();
  if (first) {
    const option = optionAt(first.path);
    const name = option ? optionPath(option) : first.path.split('/').filter(Boolean).join('.') || '(root)';
    const from = option
      ? (origin.get(name) ?? 'default')
      : sources.file
        ? `config file ${sources.file}`
        : 'configuration';
    const shown = option?.secret ? '' : ` = ${JSON.stringify(first.value)}`;
    const hint = option ? ` [env ${option.env}]` : '';
    const unknown = first.schema && first.message.includes('Unexpected property') ? ' (unknown option)' : '';
    throw invalidConfiguration(`${name}${shown} (from ${from})${hint}${unknown}: ${first.message}`);
  }
  const config = candidate as KeywardConfig;
  const reserved = Object.keys(config.challenges.purposes).find(isProtocolPurpose);
  if (reserved !== undefined) {
    throw invalidConfiguration(
      `challenges.purposes (from ${origin.get('challenges.purposes') ?? 'default'}) names "${reserved}", a protocol's purpose: choose another name (reserved: ${Object.values(PROTOCOL_PURPOSES).join(', ')})`,
    );
  }
  return { config, unknownEnv };
}

/** The configuration with secrets replaced, for printing and logging. */
export function redactConfig(config: KeywardConfig): Tree {
  const copy = structuredClone(config) as Tree;
  for (const option of OPTIONS) {
    if (!option.secret) continue;
    let node: unknown = copy;
    for (const key of option.path.slice(0, -1)) node = (node as Tree)[key];
    const leaf = option.path[option.path.length - 1]!;
    const value = (node as Tree)[leaf];
    if (typeof value === 'string' && value !== '')
      (node as Tree)[leaf] = leaf.endsWith('Url') ? redactUrl(value) : '***';
    if (Array.isArray(value)) (node as Tree)[leaf] = value.map(() => '***');
  }
  return copy;
}

/** Connection URLs keep scheme, host and path (useful when debugging) and lose their credentials. */
function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'sqlite:') return value;
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '***';
  }
}
