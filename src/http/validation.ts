import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { App } from './app-type.js';

const common: Options = { allErrors: false, removeAdditional: false, useDefaults: true, strict: false };

function withFormats(ajv: Ajv): Ajv {
  (addFormats as unknown as (ajv: Ajv) => Ajv)(ajv);
  return ajv;
}

/**
 * Bodies are validated as sent: a number where a string belongs is an error, not a conversion.
 * Query strings, params and headers are text on the wire, so they are coerced to the schema's types.
 */
export function installValidation(app: App): void {
  const strict = withFormats(new Ajv({ ...common, coerceTypes: false }));
  const coercing = withFormats(new Ajv({ ...common, coerceTypes: 'array' }));
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
}
