import { join } from 'node:path';
import type { KeywardConfig } from './schema.js';

/** Values computed from options that default to "derive me". */
export const resolveDatabaseUrl = (config: KeywardConfig) =>
  config.databaseUrl || `sqlite:${join(config.dataDir, 'keyward.db')}`;

/** The host a server bound to `host` is reached at: a wildcard address means this machine. */
export const reachableHost = (host: string) => (host === '0.0.0.0' || host === '::' ? 'localhost' : host);

export const resolvePublicBaseUrl = (config: KeywardConfig) =>
  (config.publicBaseUrl || `http://${reachableHost(config.host)}:${config.port}`).replace(/\/+$/, '');
