export * from './android-device.js';
export * from './app-identity.js';
export * from './health-card.js';
export * from './ios-device.js';
export * from './mtls-identity.js';
export * from './play-integrity-token.js';
export * from './registration-csr.js';
