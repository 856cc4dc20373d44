import type { Migration } from 'kysely';
import * as challenges from './001-challenges.js';
import * as appAttestKeys from './002-app-attest-keys.js';
import * as bindingCertificates from './003-binding-certificates.js';
import * as mdvm from './004-mdvm.js';
import * as webauthn from './005-webauthn.js';
import * as webauthnPendingUsers from './006-webauthn-pending-users.js';
import * as dsr from './007-dsr.js';
import * as provisioning from './008-provisioning.js';
import * as operatorConsole from './009-console.js';

/** One migration set for SQLite and PostgreSQL, applied in key order. */
export const MIGRATIONS: Record<string, Migration> = {
  '001-challenges': challenges,
  '002-app-attest-keys': appAttestKeys,
  '003-binding-certificates': bindingCertificates,
  '004-mdvm': mdvm,
  '005-webauthn': webauthn,
  '006-webauthn-pending-users': webauthnPendingUsers,
  '007-dsr': dsr,
  '008-provisioning': provisioning,
  '009-console': operatorConsole,
};
