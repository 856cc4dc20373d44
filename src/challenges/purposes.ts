/**
 * The challenge purposes protocols issue and consume their nonces under, each with its own
 * binding, size and lifetime. challenges.purposes (the generic API) may not name one: a caller of
 * POST /v1/challenges could otherwise mint a protocol's nonces without its binding. dsr and
 * provisioning are reserved for the protocols still to come.
 */
export const PROTOCOL_PURPOSES = {
  warden: 'warden',
  mdvm: 'mdvm',
  fido2: 'fido2',
  dsr: 'dsr',
  provisioning: 'provisioning',
} as const;

const RESERVED: ReadonlySet<string> = new Set(Object.values(PROTOCOL_PURPOSES));

/** Whether `purpose` belongs to a protocol (and so not to the generic challenge API). */
export const isProtocolPurpose = (purpose: string): boolean => RESERVED.has(purpose);
