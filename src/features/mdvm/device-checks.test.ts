import { describe, expect, it } from 'vitest';
import { outcome } from '../../../test/helpers/outcome.js';
import type { VulnerableDeviceClass } from '../../store/mdvm-store.js';
import {
  androidIdentity,
  checkAndroidDeviceClass,
  checkAndroidRenewal,
  checkIosRegistration,
  checkIosRenewal,
  classMatches,
  compareVersions,
  iosIdentity,
  parseVersion,
  vulnerableClassOf,
} from './device-checks.js';

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
  const stored = {
    attested: {
      osVersion: '15.0.0',
      osPatchLevel: '2026-10',
      appVersion: 10,
      attestationIdModel: 'Pixel 8',
      chainKeys: [],
    },
    deviceClass: { model: 'Pixel 8', product: 'shiba', device: 'shiba' },
  };
  const renew = (attested: object, reported: object = {}) =>
    code(() =>
      checkAndroidRenewal(
        { attested: { ...stored.attested, ...attested }, deviceClass: { ...stored.deviceClass, ...reported } },
        stored,
      ),
    );

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

describe('Android reported ids against attested ones', () => {
  const attested = {
    attestationIdModel: 'Pixel 8',
    attestationIdProduct: 'shiba',
    attestationIdDevice: 'shiba',
    chainKeys: [],
  };
  it('refuses a reported model, product or device that contradicts the attested one', () => {
    expect(code(() => checkAndroidDeviceClass(attested, { model: 'Pixel 8', product: 'shiba', device: 'shiba' }))).toBe(
      'accepted',
    );
    expect(code(() => checkAndroidDeviceClass(attested, { model: 'Pixel 9', product: 'shiba', device: 'shiba' }))).toBe(
      'SECURITY_VIOLATION',
    );
    expect(code(() => checkAndroidDeviceClass(attested, { model: 'Pixel 8', product: 'husky' }))).toBe(
      'SECURITY_VIOLATION',
    );
    expect(code(() => checkAndroidDeviceClass(attested, { device: 'husky' }))).toBe('SECURITY_VIOLATION');
  });

  it('accepts reported ids nothing attests, and reported ids left out', () => {
    expect(
      code(() => checkAndroidDeviceClass({ chainKeys: [] }, { model: 'Anything', product: 'any', device: 'any' })),
    ).toBe('accepted');
    expect(code(() => checkAndroidDeviceClass(attested, {}))).toBe('accepted');
  });
});

describe('iOS registration: the signed OS version decides', () => {
  const reported = { systemVersion: '18.2', model: 'iPhone', hardwareModel: 'iPhone15,3' };
  /** The version accepted, or the refusal's code. */
  const register = (systemVersion: string, signed: string | undefined, allowUnsignedOsVersion = false) => {
    let accepted = '';
    const result = code(
      () =>
        (accepted = checkIosRegistration({ ...reported, systemVersion }, signed, {
          minOsVersion: '18.0',
          allowUnsignedOsVersion,
        })),
    );
    return result === 'accepted' ? accepted : result;
  };

  it('accepts a report equal to the signed version, compared numerically, and returns the signed one', () => {
    expect(register('18.2', '18.2')).toBe('18.2');
    expect(register('18.2', '18.2.0')).toBe('18.2.0');
    expect(register('18', '18.0.0')).toBe('18.0.0');
  });

  it('refuses a report contradicting the signed version, either way', () => {
    expect(register('18.2', '16.0')).toBe('SECURITY_VIOLATION');
    expect(register('18.2', '18.3')).toBe('SECURITY_VIOLATION');
    expect(register('18.2', 'garbage')).toBe('SECURITY_VIOLATION');
  });

  it('applies the minimum to the signed version', () => {
    expect(register('17.6', '17.6')).toBe('OUTDATED_OS_VERSION');
  });

  it('refuses a certificate without the OS version unless allowUnsignedOsVersion, then decides on the report', () => {
    expect(register('18.2', undefined)).toBe('SECURITY_VIOLATION');
    expect(register('18.2', undefined, true)).toBe('18.2');
    expect(register('17.6', undefined, true)).toBe('OUTDATED_OS_VERSION');
    expect(register('eighteen', undefined, true)).toBe('BAD_REQUEST');
    expect(register('eighteen', '18.2')).toBe('BAD_REQUEST');
  });
});

describe('iOS renewal', () => {
  const stored = { systemVersion: '18.2', model: 'iPhone', hardwareModel: 'iPhone15,3' };
  const renew = (current: Record<string, string>, attestedOsVersion?: string) =>
    code(() =>
      checkIosRenewal(current, '18.0', { deviceClass: stored, ...(attestedOsVersion ? { attestedOsVersion } : {}) }),
    );

  it('needs a parseable systemVersion at or above the minimum, the same model and no downgrade', () => {
    expect(renew({ ...stored, systemVersion: '18.3' })).toBe('accepted');
    expect(renew({ ...stored, systemVersion: '18.2.0' }, '18.2')).toBe('accepted');
    expect(renew({ ...stored, systemVersion: '17.7' })).toBe('OUTDATED_OS_VERSION');
    expect(renew({ ...stored, systemVersion: 'eighteen' })).toBe('BAD_REQUEST');
    expect(renew({ ...stored, systemVersion: '18.1' })).toBe('SECURITY_VIOLATION');
    expect(renew({ ...stored, hardwareModel: 'iPhone16,1' })).toBe('SECURITY_VIOLATION');
  });

  it('never goes below the version attested at registration', () => {
    expect(renew({ ...stored, systemVersion: '18.2' }, '18.3')).toBe('SECURITY_VIOLATION');
    expect(renew({ ...stored, systemVersion: '18.3' }, '18.3')).toBe('accepted');
  });
});

describe('vulnerable device classes', () => {
  const pixel = androidIdentity(
    { osPatchLevel: '2026-05', chainKeys: [], attestationIdModel: 'Pixel 8' },
    { model: 'ignored (attested wins)', product: 'shiba' },
  );

  it('matches Android models and products case-insensitively within an inclusive patch range', () => {
    expect(classMatches(deviceClass({ match: { models: ['pixel 8'] } }), pixel)).toBe(true);
    expect(classMatches(deviceClass({ match: { models: ['Pixel 8'], products: ['husky'] } }), pixel)).toBe(false);
    expect(
      classMatches(
        deviceClass({ match: { products: ['SHIBA'], patchLevelFrom: '2026-01', patchLevelTo: '2026-05' } }),
        pixel,
      ),
    ).toBe(true);
    expect(classMatches(deviceClass({ match: { products: ['shiba'], patchLevelTo: '2026-04' } }), pixel)).toBe(false);
    expect(classMatches(deviceClass({ platform: 'ios', match: { models: ['Pixel 8'] } }), pixel)).toBe(false);
    const unknownPatch = androidIdentity({ chainKeys: [] }, { model: 'Pixel 8' });
    expect(classMatches(deviceClass({ match: { models: ['Pixel 8'], patchLevelTo: '2020-01' } }), unknownPatch)).toBe(
      true,
    );
  });

  it('matches iOS by hardware or marketing model within a version range, and prefers unfixable classes', () => {
    const phone = iosIdentity({ systemVersion: '18.1.1', model: 'iPhone', hardwareModel: 'iPhone15,3' });
    expect(
      classMatches(
        deviceClass({ platform: 'ios', match: { models: ['iPhone15,3'], versionFrom: '18.0', versionTo: '18.1.1' } }),
        phone,
      ),
    ).toBe(true);
    expect(
      classMatches(deviceClass({ platform: 'ios', match: { models: ['iPhone15,3'], versionFrom: '18.1.2' } }), phone),
    ).toBe(false);
    const fixable = deviceClass({ id: 'F', platform: 'ios', match: { models: ['iPhone'] } });
    const unfixable = deviceClass({
      id: 'U',
      platform: 'ios',
      classification: 'unfixable',
      match: { models: ['iPhone15,3'] },
    });
    expect(vulnerableClassOf([fixable, unfixable], phone)?.id).toBe('U');
    expect(vulnerableClassOf([fixable], phone)?.id).toBe('F');
    expect(vulnerableClassOf([], phone)).toBeUndefined();
  });
});
