import { join } from 'node:path';
import type { KeywardConfig } from './schema.js';

/** Values computed from options that default to "derive me". */
export const resolveDatabaseUrl = (config: KeywardConfig) => config.databaseUrl || `sqlite:${join(config.dataDir, 'keyward.db')}`;

export const resolvePublicBaseUrl = (config: KeywardConfig) =>
  (config.publicBaseUrl || `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${config.port}`).replace(/\/+$/, '');
