import { invalidConfiguration } from '../../config/config-error.js';
import { encodeName } from '../../crypto/x509/certificate-builder.js';
import { NAME_OIDS } from '../../crypto/x509/names.js';

const ATTRIBUTE_TYPES: Record<string, string> = { ...NAME_OIDS, L: '2.5.4.7', ST: '2.5.4.8' };

/** RFC 5280's ub-common-name: longer device names are cut, so the certificate stays valid for strict parsers. */
const MAX_COMMON_NAME = 64;

export interface SubjectValues {
  deviceName: string | undefined;
  platform: string;
  policy: string;
  /** The challenge nonce in uppercase hex, as the request carries it in its serialNumber. */
  nonce: string;
}

const PLACEHOLDER = /\{(deviceName|platform|policy|nonce)\}/g;

/** Cuts a CN value to ub-common-name characters (code points, so no surrogate pair is split). */
const commonName = (value: string): string =>
  value.length <= MAX_COMMON_NAME ? value : Array.from(value).slice(0, MAX_COMMON_NAME).join('');

/**
 * Compiles "CN=Attested Client: {deviceName}, O=Example" once: the template is split into
 * attributes first and the placeholders are filled into each value afterwards, so a device
 * name containing ", O=…" stays inside its attribute instead of adding one. CN values are cut
 * to 64 characters. ConfigError for an unknown attribute (a configuration mistake).
 */
export function compileSubjectTemplate(template: string): (values: SubjectValues) => Buffer {
  const attributes = template.split(/,\s*(?=[A-Za-z]+=)/).map((part) => {
    const [label, ...rest] = part.split('=');
    const type = ATTRIBUTE_TYPES[label!.trim()];
    if (!type) throw invalidConfiguration(`warden.certificate.subject: unknown attribute ${label}`);
    return [type, rest.join('=').trim()] as const;
  });
  return (values) =>
    encodeName(
      attributes.map(([type, template]) => {
        const value = template.replace(
          PLACEHOLDER,
          (_, name: keyof SubjectValues) => values[name] ?? (name === 'deviceName' ? `${values.platform} device` : ''),
        );
        return [type, type === NAME_OIDS.CN ? commonName(value) : value];
      }),
    );
}

/**
 * The subject when none is configured: the device name, if the request named one, as CN and
 * the nonce as serialNumber (the request's own serialNumber, which the proof is bound to).
 * Nothing else of the request's subject is copied: a client must not choose what a relying
 * party reads as the certificate's organization or other attributes.
 */
export function defaultSubject(values: SubjectValues): Buffer {
  return encodeName([
    ...(values.deviceName ? [[NAME_OIDS.CN, commonName(values.deviceName)] as const] : []),
    [NAME_OIDS.serialNumber, values.nonce],
  ]);
}

/** One-off form of `compileSubjectTemplate`. */
export const subjectFromTemplate = (template: string, values: SubjectValues): Buffer =>
  compileSubjectTemplate(template)(values);
