import { encodeName } from '../../crypto/certificate-builder.js';
import { NAME_OIDS } from '../../crypto/names.js';

const ATTRIBUTE_TYPES: Record<string, string> = { ...NAME_OIDS, L: '2.5.4.7', ST: '2.5.4.8' };

export interface SubjectValues {
  deviceName: string | undefined;
  platform: string;
  policy: string;
}

/**
 * Compiles "CN=Attested Client: {deviceName}, O=Example" once: the template is split into
 * attributes first and the placeholders are filled into each value afterwards, so a device
 * name containing ", O=…" stays inside its attribute instead of adding one. TypeError for an
 * unknown attribute (a configuration mistake).
 */
export function compileSubjectTemplate(template: string): (values: SubjectValues) => Buffer {
  const attributes = template.split(/,\s*(?=[A-Za-z]+=)/).map((part) => {
    const [label, ...rest] = part.split('=');
    const type = ATTRIBUTE_TYPES[label!.trim()];
    if (!type) throw new TypeError(`warden.certificate.subject: unknown attribute ${label}`);
    return [type, rest.join('=').trim()] as const;
  });
  return (values) =>
    encodeName(
      attributes.map(([type, value]) => [
        type,
        value.replace(/\{(deviceName|platform|policy)\}/g, (_, name: keyof SubjectValues) => values[name] ?? (name === 'deviceName' ? `${values.platform} device` : '')),
      ]),
    );
}

/** One-off form of `compileSubjectTemplate`. */
export const subjectFromTemplate = (template: string, values: SubjectValues): Buffer => compileSubjectTemplate(template)(values);
