import { describe, expect, it } from 'vitest';
import { outcome } from '../../../test/helpers/outcome.js';
import type { VulnerableDeviceClass } from '../../store/mdvm-store.js';
import { androidIdentity, checkAndroidRenewal, checkIosDeviceClass, classMatches, compareVersions, iosIdentity, parseVersion, vulnerableClassOf } from './device-checks.js';

/** The code alone (categories are checked where they matter, in the flows). */
const code = (action: () => unknown) => outcome(action).split(' ').at(-1);

const deviceClass = (overrides: Partial<VulnerableDeviceClass>): VulnerableDeviceClass => ({
  id: 'C1',
  platform: 'android',
  classification: 'fixable',
  match: {},
  description: '',
  createdAt: 0,
  ...overrides,
});

describe('versions', () => {
  it('parses dotted versions and compares them numerically, missing parts as 0', () => {
    expect(parseVersion('18.2.1')).toEqual([18, 2, 1]);
    expect(parseVersion('18.x')).toBeUndefined();
    expect(parseVersion(undefined)).toBeUndefined();
    expect(compareVersions([18, 10], [18, 9])).toBeGreaterThan(0);
    expect(compareVersions([18], [18, 0, 0])).toBe(0);
    expect(compareVersions([17, 9, 9], [18])).toBeLessThan(0);
  });
});

describe('Android renewal plausibility', () => {
  const stored = { attested: { osVersion: '15.0.0', osPatchLevel: '2026-10', appVersion: 10, attestationIdModel: 'Pixel 8', chainKeys: [] }, deviceClass: { model: 'Pixel 8', product: 'shiba', device: 'shiba' } };
  const renew = (attested: object, reported: object = {}) =>
    code(() => checkAndroidRenewal({ attested: { ...stored.attested, ...attested }, deviceClass: { ...stored.deviceClass, ...reported } }, stored));

  it('accepts the same device moving forward', () => {
    expect(renew({ osVersion: '16.0.0', osPatchLevel: '2026-11-05', appVersion: 11 })).toBe('accepted');
  });

  it('refuses another device or any step back', () => {
    expect(renew({ attestationIdModel: 'Pixel 9' })).toBe('SECURITY_VIOLATION');
    expect(renew({ attestationIdModel: undefined })).toBe('SECURITY_VIOLATION');
    expect(renew({}, { product: 'husky' })).toBe('SECURITY_VIOLATION');
    expect(renew({ osVersion: '14.0.0' })).toBe('SECURITY_VIOLATION');
    expect(renew({ osPatchLevel: '2026-09' })).toBe('SECURITY_VIOLATION');
    expect(renew({ osPatchLevel: undefined })).toBe('SECURITY_VIOLATION');
    expect(renew({ appVersion: 9 })).toBe('SECURITY_VIOLATION');
  });
});

describe('iOS device class', () => {
  const stored = { systemVersion: '18.2', model: 'iPhone', hardwareModel: 'iPhone15,3' };
  it('needs a parseable systemVersion at or above the minimum, the same model and no downgrade', () => {
    expect(code(() => checkIosDeviceClass({ ...stored, systemVersion: '18.3' }, '18.0', stored))).toBe('accepted');
    expect(code(() => checkIosDeviceClass({ ...stored, systemVersion: '17.7' }, '18.0'))).toBe('OUTDATED_OS_VERSION');
    expect(code(() => checkIosDeviceClass({ ...stored, systemVersion: 'eighteen' }, '18.0'))).toBe('BAD_REQUEST');
    expect(code(() => checkIosDeviceClass({ ...stored, systemVersion: '18.1' }, '18.0', stored))).toBe('SECURITY_VIOLATION');
    expect(code(() => checkIosDeviceClass({ ...stored, hardwareModel: 'iPhone16,1' }, '18.0', stored))).toBe('SECURITY_VIOLATION');
  });
});

describe('vulnerable device classes', () => {
  const pixel = androidIdentity({ osPatchLevel: '2026-05', chainKeys: [], attestationIdModel: 'Pixel 8' }, { model: 'ignored (attested wins)', product: 'shiba' });

  it('matches Android models and products case-insensitively within an inclusive patch range', () => {
    expect(classMatches(deviceClass({ match: { models: ['pixel 8'] } }), pixel)).toBe(true);
    expect(classMatches(deviceClass({ match: { models: ['Pixel 8'], products: ['husky'] } }), pixel)).toBe(false);
    expect(classMatches(deviceClass({ match: { products: ['SHIBA'], patchLevelFrom: '2026-01', patchLevelTo: '2026-05' } }), pixel)).toBe(true);
    expect(classMatches(deviceClass({ match: { products: ['shiba'], patchLevelTo: '2026-04' } }), pixel)).toBe(false);
    expect(classMatches(deviceClass({ platform: 'ios', match: { models: ['Pixel 8'] } }), pixel)).toBe(false);
    const unknownPatch = androidIdentity({ chainKeys: [] }, { model: 'Pixel 8' });
    expect(classMatches(deviceClass({ match: { models: ['Pixel 8'], patchLevelTo: '2020-01' } }), unknownPatch)).toBe(true);
  });

  it('matches iOS by hardware or marketing model within a version range, and prefers unfixable classes', () => {
    const phone = iosIdentity({ systemVersion: '18.1.1', model: 'iPhone', hardwareModel: 'iPhone15,3' });
    expect(classMatches(deviceClass({ platform: 'ios', match: { models: ['iPhone15,3'], versionFrom: '18.0', versionTo: '18.1.1' } }), phone)).toBe(true);
    expect(classMatches(deviceClass({ platform: 'ios', match: { models: ['iPhone15,3'], versionFrom: '18.1.2' } }), phone)).toBe(false);
    const fixable = deviceClass({ id: 'F', platform: 'ios', match: { models: ['iPhone'] } });
    const unfixable = deviceClass({ id: 'U', platform: 'ios', classification: 'unfixable', match: { models: ['iPhone15,3'] } });
    expect(vulnerableClassOf([fixable, unfixable], phone)?.id).toBe('U');
    expect(vulnerableClassOf([fixable], phone)?.id).toBe('F');
    expect(vulnerableClassOf([], phone)).toBeUndefined();
  });
});
