import { parseItem, serializeString, type BareItem, type Item } from './structured-fields/index.js';
import { malformed } from './failures.js';

/** Covered components (RFC 9421 §2): identifiers as signed (Structured Field items) and in this API's string form. */
export type Derived =
  | '@method'
  | '@target-uri'
  | '@authority'
  | '@scheme'
  | '@request-target'
  | '@path'
  | '@query'
  | '@query-param'
  | '@status';
const DERIVED = new Set<string>([
  '@method',
  '@target-uri',
  '@authority',
  '@scheme',
  '@request-target',
  '@path',
  '@query',
  '@query-param',
  '@status',
]);
const UNSUPPORTED_PARAMETERS = new Set(['sf', 'key', 'bs', 'req', 'tr']);

export interface Component {
  /** Canonical identifier in this API's string form: `@method`, `@query-param;name="Pet"`. */
  readonly id: string;
  /** Serialised component identifier as it appears in the base and in @signature-params. */
  readonly label: string;
  readonly name: string;
  /** The `name` parameter of @query-param. */
  readonly queryName: string | undefined;
}

/** Lowercase field names: tchar without uppercase ALPHA. */
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

/** Parameterless components by name (valid names only, bounded). */
const componentCache = new Map<string, Component>();
const COMPONENT_CACHE_LIMIT = 256;

export function componentFromItem(item: Item): Component {
  if (item.value.type !== 'string')
    throw malformed(`covered component ${describeBareItem(item.value)} is not a string`);
  const name = item.value.value;
  if (item.params.size === 0) {
    const cached = componentCache.get(name);
    if (cached) return cached;
  }
  if (name === '@signature-params') throw malformed('@signature-params cannot be covered');
  if (name.charCodeAt(0) === 0x40 /* @ */) {
    if (!DERIVED.has(name)) throw malformed(`unsupported derived component ${name}`);
  } else if (!FIELD_NAME.test(name)) {
    throw malformed(`component identifier ${JSON.stringify(name)} is not a lowercase field name`);
  }
  let queryName: string | undefined;
  for (const [key, value] of item.params) {
    if (name === '@query-param' && key === 'name') {
      if (value.type !== 'string') throw malformed('the name parameter of @query-param is not a string');
      queryName = value.value;
    } else {
      throw malformed(
        `${UNSUPPORTED_PARAMETERS.has(key) ? 'unsupported' : 'unknown'} component parameter ${key} on ${JSON.stringify(name)}`,
      );
    }
  }
  if (name === '@query-param') {
    if (queryName === undefined) throw malformed('@query-param without a name parameter');
    const parameter = `;name=${serializeString(queryName)}`;
    return { id: `${name}${parameter}`, label: `"${name}"${parameter}`, name, queryName };
  }
  const component: Component = { id: name, label: `"${name}"`, name, queryName: undefined };
  if (componentCache.size < COMPONENT_CACHE_LIMIT) componentCache.set(name, component);
  return component;
}

/** Parses this API's string form of a component identifier; throws SIGNATURE_MALFORMED. */
export function componentFromString(id: string): Component {
  const semicolon = id.indexOf(';');
  const name = semicolon < 0 ? id : id.slice(0, semicolon);
  if (!/^@?[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(name))
    throw malformed(`component identifier ${JSON.stringify(id)} is not valid`);
  let item: ReturnType<typeof parseItem>;
  try {
    item = parseItem(`"${name}"${semicolon < 0 ? '' : id.slice(semicolon)}`);
  } catch (error) {
    throw malformed(`component identifier ${JSON.stringify(id)} is not valid`, error);
  }
  if (item.duplicateParameters.length > 0)
    throw malformed(`duplicate parameters in component identifier ${JSON.stringify(id)}`);
  return componentFromItem(item);
}

function describeBareItem(value: BareItem): string {
  return value.type === 'binary' ? 'byte sequence' : `${value.type} ${JSON.stringify(value.value)}`;
}

export function checkDistinct(components: readonly Component[]): void {
  for (let i = 1; i < components.length; i++) {
    const id = components[i]!.id;
    for (let j = 0; j < i; j++) if (components[j]!.id === id) throw malformed(`component ${id} is covered twice`);
  }
}
