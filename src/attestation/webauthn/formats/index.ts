import { contentError } from '../../../errors.js';
import type { FormatVerifier } from '../types.js';
import { androidKeyFormat } from './android-key.js';
import { androidSafetynetFormat } from './android-safetynet.js';
import { appleFormat } from './apple.js';
import { fidoU2fFormat } from './fido-u2f.js';
import { noneFormat } from './none.js';
import { packedFormat } from './packed.js';
import { tpmFormat } from './tpm.js';

/** The attestation statement formats Keyward verifies, by their registered identifier (WebAuthn §8, IANA "WebAuthn Attestation Statement Format Identifiers"). */
export const FORMATS: ReadonlyMap<string, FormatVerifier> = new Map(
  [packedFormat, tpmFormat, androidKeyFormat, androidSafetynetFormat, fidoU2fFormat, appleFormat, noneFormat].map(
    (format) => [format.fmt, format],
  ),
);

/** The verifier for `fmt`, matched case-sensitively (§7.1 step 20); an unknown format is refused. */
export function formatFor(fmt: string): FormatVerifier {
  const format = FORMATS.get(fmt);
  if (!format) {
    throw contentError('ATTESTATION_FORMAT_UNKNOWN', 'The attestation statement format is not supported.', {
      detail: `fmt ${JSON.stringify(fmt).slice(0, 80)}`,
    });
  }
  return format;
}
