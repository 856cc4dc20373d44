import { Kind, type TSchema } from '@sinclair/typebox';
import { ConfigSchema } from './schema.js';

/** One configurable leaf of the schema: what `keyward config docs` lists and env vars map onto. */
export interface OptionInfo {
  path: string[];
  env: string;
  schema: TSchema;
  secret: boolean;
  /** Objects and records set from env as JSON. */
  json: boolean;
}

const screamingSnake = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

export const envName = (path: readonly string[]) => `KEYWARD_${path.map(screamingSnake).join('_')}`;

/** Paths of nested option groups (challenges, android.policy, …), parents before children. */
export const SECTIONS: string[][] = [];

function collect(schema: TSchema, path: string[], out: OptionInfo[]): OptionInfo[] {
  if (schema[Kind] === 'Object' && schema.properties && schema.additionalProperties === false) {
    if (path.length > 0) SECTIONS.push(path);
    for (const [key, child] of Object.entries(schema.properties as Record<string, TSchema>)) {
      collect(child, [...path, key], out);
    }
    return out;
  }
  out.push({
    path,
    env: envName(path),
    schema,
    secret: schema.secret === true,
    json: schema[Kind] === 'Object' || schema[Kind] === 'Record' || schema[Kind] === 'Array',
  });
  return out;
}

export const OPTIONS: readonly OptionInfo[] = collect(ConfigSchema, [], []);

export const optionPath = (option: OptionInfo) => option.path.join('.');
