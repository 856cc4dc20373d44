import { describe, expect, it } from 'vitest';
import { BerReader } from './ber.js';
import { TagClass } from './der.js';
import { expectRejection } from '../../../test/helpers/outcome.js';

describe('BER reader (App Attest receipts)', () => {
  it('reads indefinite lengths and joins chunked OCTET STRINGs', () => {
    // SEQUENCE (indefinite) { [0] (indefinite) { OCTET STRING (constructed, indefinite) { "ab", "cd" } }, INTEGER 5 }
    const ber = Buffer.from(
      '3080' + 'a080' + '2480' + '04026162' + '04026364' + '0000' + '0000' + '020105' + '0000',
      'hex',
    );
    const outer = new BerReader(ber, 'RECEIPT_MALFORMED');
    const sequence = outer.sequence('outer');
    outer.end('outer');
    const explicit = sequence.enter(sequence.expect(TagClass.Context, 0, 'explicit'), 'explicit');
    expect(Buffer.from(explicit.octetString('chunks')).toString()).toBe('abcd');
    expect(sequence.smallInteger('number')).toBe(5);
    sequence.end('outer');
  });

  it('rejects unterminated indefinite lengths, primitive indefinite lengths and overruns', () => {
    for (const hex of ['3080020105', '0480', '3005020105', '30']) {
      expectRejection(
        () => new BerReader(Buffer.from(hex, 'hex'), 'RECEIPT_MALFORMED').sequence('x'),
        'CONTENT',
        'RECEIPT_MALFORMED',
      );
    }
  });
});
