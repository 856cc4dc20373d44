/** The issuer settings and files a configuration mistake can be in; the loader maps each to its configuration option. */
export type IssuerSetting =
  | 'country'
  | 'organization'
  | 'stateOrProvince'
  | 'commonName'
  | 'crlUrl'
  | 'issuerAlternativeName'
  | 'validityDays'
  | 'iacaCertificate'
  | 'documentSignerCertificate'
  | 'documentSignerKey';

/**
 * A mistake in the issuer's configuration or CA files (an operator's, never a device's): thrown at
 * generation or load time, before anything is issued. `setting` says where the mistake is, so the
 * configuration loader can name the option in its ConfigError.
 */
export class IssuerConfigurationError extends TypeError {
  override readonly name = 'IssuerConfigurationError';

  constructor(
    readonly setting: IssuerSetting,
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(`mdoc issuer ${setting}: ${problem}`, options);
  }
}
