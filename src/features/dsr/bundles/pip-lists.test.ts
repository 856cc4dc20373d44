import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KeywardError } from '../../../errors.js';
import { preparePdpData } from '../pdp/context.js';
import { applyPipLists, MAX_PIP_LIST_LENGTH, mergePipLists, type PipListKind, parsePipList } from './pip-lists.js';

const TOR = new URL('../../../../test/vectors/dsr/policy-bundle/security_data/torExitNodes/data.json', import.meta.url);

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof KeywardError) return `${error.category} ${error.code} ${error.detail}`;
    throw error;
  }
  throw new Error('did not throw');
}

describe('parsePipList', () => {
  it('reads the reference Tor exit-node list as JSON', () => {
    const text = readFileSync(TOR, 'utf8');
    const nodes = parsePipList('torExitNodes', text);
    expect(nodes).toEqual(JSON.parse(text));
  });

  it('reads one entry a line, skipping blank lines and comments, dropping duplicates', () => {
    const text = '# blocked\n203.0.113.7\r\n\n  198.51.100.0/24  # a range\n2001:db8::/32\n203.0.113.7\n';
    expect(parsePipList('blockedIps', text)).toEqual(['203.0.113.7', '198.51.100.0/24', '2001:db8::/32']);
    expect(parsePipList('torExitNodes', '185.220.101.1\n2001:470:1:908::9001\n')).toEqual([
      '185.220.101.1',
      '2001:470:1:908::9001',
    ]);
    expect(parsePipList('blockedUsers', 'X123456789\nX987654321')).toEqual(['X123456789', 'X987654321']);
    expect(parsePipList('allowedCountries', '["de", "AT", "DE"]')).toEqual(['DE', 'AT']);
    expect(parsePipList('allowedCountries', '', { format: 'text' })).toEqual([]);
  });

  it('honours an explicit format', () => {
    expect(parsePipList('blockedUsers', '["X1"]', { format: 'text' })).toEqual(['["X1"]']);
    expect(codeOf(() => parsePipList('blockedUsers', 'X1', { format: 'json', source: 'users.txt' }))).toMatch(
      /^CONTENT DSR_PIP_LIST_INVALID blockedUsers \(users.txt\): not JSON/,
    );
  });

  it('refuses bad entries, naming the first', () => {
    const bad: [PipListKind, string][] = [
      ['blockedIps', '203.0.113.7\nexample.org'],
      ['blockedIps', '10.0.0.0/33'],
      ['blockedIps', '2001:db8::/129'],
      ['blockedIps', '10.0.0.0/'],
      ['blockedIps', '10.0.0.0/+8'],
      ['blockedIps', '10.0.0.256'],
      ['torExitNodes', '185.220.101.0/24'],
      ['blockedUsers', 'X12 345'],
      ['blockedUsers', `X${'1'.repeat(200)}`],
      ['allowedCountries', 'DEU'],
      ['allowedCountries', 'D1'],
      ['allowedCountries', '[1]'],
      ['allowedCountries', '{"DE": true}'],
      ['allowedCountries', '["DE", "DE"'],
      ['allowedCountries', '[["DE"]]'],
    ];
    for (const [kind, text] of bad)
      expect(
        codeOf(() => parsePipList(kind, text)),
        text,
      ).toMatch(/^CONTENT DSR_PIP_LIST_INVALID /);
    expect(codeOf(() => parsePipList('blockedIps', '203.0.113.7\nexample.org'))).toContain('entry 1: "example.org"');
  });

  it('bounds the text and refuses unknown kinds', () => {
    expect(codeOf(() => parsePipList('blockedUsers', 'X'.repeat(MAX_PIP_LIST_LENGTH + 1)))).toContain('longer than');
    expect(() => parsePipList('friends' as PipListKind, '')).toThrow(TypeError);
  });
});

describe('mergePipLists and applyPipLists', () => {
  const bundleData = {
    android_data: { allowedBuildModel: ['Pixel 6'], minimumSecurityPatchLevel: '2022-12-01' },
    security_data: { blocklistClientIPs: ['217.110.27.114'], allowedCountryCodes: ['DE'], torExitNodes: ['1.2.3.4'] },
  };

  it('merges lists of one kind from several sources', () => {
    const merged = mergePipLists(
      { blockedIps: ['203.0.113.7', '198.51.100.0/24'] },
      { blockedIps: ['203.0.113.7', '192.0.2.1'], blockedUsers: ['X1'] },
    );
    expect(merged).toEqual({ blockedIps: ['203.0.113.7', '198.51.100.0/24', '192.0.2.1'], blockedUsers: ['X1'] });
  });

  it('replaces or extends the bundle lists, leaving the rest and the input alone', () => {
    const before = structuredClone(bundleData);
    const replaced = applyPipLists(bundleData, { blockedIps: ['203.0.113.0/24'], blockedUsers: ['X1'] });
    expect(replaced.security_data).toEqual({
      blocklistClientIPs: ['203.0.113.0/24'],
      blocklistUserIdentifier: ['X1'],
      allowedCountryCodes: ['DE'],
      torExitNodes: ['1.2.3.4'],
    });
    expect(replaced.android_data).toBe(bundleData.android_data);
    expect(bundleData).toEqual(before);

    const extended = applyPipLists(bundleData, { blockedIps: ['203.0.113.0/24', '217.110.27.114'] }, 'union');
    expect(extended.security_data?.blocklistClientIPs).toEqual(['217.110.27.114', '203.0.113.0/24']);
    expect(applyPipLists({}, { torExitNodes: ['5.6.7.8'] })).toEqual({ security_data: { torExitNodes: ['5.6.7.8'] } });
  });

  it('gives data the PDP prepares', () => {
    const data = preparePdpData(
      applyPipLists(bundleData, mergePipLists({ blockedIps: parsePipList('blockedIps', '203.0.113.0/24') })),
    );
    expect(data.blockedRanges.check('203.0.113.9', 'ipv4')).toBe(true);
    expect(data.blockedAddresses.has('217.110.27.114')).toBe(false);
  });
});
