import { describe, expect, it } from 'vitest';
import { fullDate } from './element-value.js';

describe('fullDate', () => {
  it('takes calendar dates, and refuses days a month does not have', () => {
    expect(fullDate('1964-02-29').contents).toBe('1964-02-29');
    for (const date of ['1963-02-29', '1964-02-30', '2026-04-31', '2026-13-01', '2026-1-01', '2026-01-01T00:00:00Z'])
      expect(() => fullDate(date), date).toThrow(TypeError);
  });
});
