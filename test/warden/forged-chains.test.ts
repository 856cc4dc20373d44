import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWardenFlow } from '../../src/simulator/warden-client.js';
import { withForgedTop } from '../helpers/android.js';
import type { TestServer } from '../helpers/server.js';
import { sharedAndroidDevice } from '../helpers/simulators.js';
import { androidWallet, startMdvmServer } from '../mdvm/helpers.js';

/**
 * Issue 16's requireRkp bypass, end to end: the simulated factory chain's root replaced by a
 * certificate with the root's key and subject, "issued" by Droid CA2 and signed by anyone. With
 * RKP required, neither Warden nor MDVM may accept it; without, it verifies as the factory chain
 * it is (the forged certificate is ignored).
 */
describe('a forged top certificate does not pass for RKP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startMdvmServer({
      options: {
        warden: { policies: { rkp: { android: { requireRkp: true } } } },
        mdvm: { android: { requireRkp: true, requireLockedBootloader: true } },
      },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('Warden refuses it where RKP is required and issues for it only as a factory chain', async () => {
    const device = withForgedTop(await sharedAndroidDevice());
    const refused = await runWardenFlow(server.url, { platform: 'android', device }, { policy: 'rkp' });
    expect({ status: refused.status, ...(refused.response as object) }).toMatchObject({
      status: 403,
      kind: 'TRUST',
      explanation: 'The attestation must come from a remotely provisioned key.',
    });
    const factory = await runWardenFlow(server.url, { platform: 'android', device });
    expect(factory.status).toBe(200);
    const issued = server.logs.filter((line) => String(line.msg).startsWith('binding certificate issued'));
    expect(issued.map((line) => line.summary.rkp)).toEqual([false]);
  });

  it('MDVM does not register a wallet on it when mdvm.android.requireRkp is set', async () => {
    const wallet = await androidWallet();
    (wallet as unknown as { device: { android: unknown } }).device.android = withForgedTop(await sharedAndroidDevice());
    const response = await wallet.register(server.url);
    expect({ status: response.status, code: response.body.code }).toEqual({ status: 403, code: 'SECURITY_VIOLATION' });
  });
});
