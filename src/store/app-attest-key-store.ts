/** Declared where assertions are verified (the port attestation needs); the store implements it. */
export type { AppAttestKeyRecord, AppAttestKeyStore } from '../attestation/apple/stored-keys.js';
