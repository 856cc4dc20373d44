/** App Attest environments: apps signed for development attest with a distinct aaguid. */
export type AppAttestEnvironment = 'production' | 'development';

const AAGUIDS: Record<AppAttestEnvironment, Buffer> = {
  production: Buffer.concat([Buffer.from('appattest', 'ascii'), Buffer.alloc(7)]),
  development: Buffer.from('appattestdevelop', 'ascii'),
};

export const aaguidOf = (environment: AppAttestEnvironment): Buffer => Buffer.from(AAGUIDS[environment]);

/** The environment an aaguid stands for, or undefined for an aaguid App Attest does not use. */
export function environmentOf(aaguid: Uint8Array): AppAttestEnvironment | undefined {
  if (AAGUIDS.production.equals(aaguid)) return 'production';
  if (AAGUIDS.development.equals(aaguid)) return 'development';
  return undefined;
}
