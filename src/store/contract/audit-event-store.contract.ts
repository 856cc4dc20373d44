import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent, AuditEventStore, NewAuditEvent } from '../console-store.js';

export interface AuditEventStoreHarness {
  store: AuditEventStore;
  cleanup(): Promise<void>;
}

const T0 = Date.parse('2026-11-01T00:00:00Z');
const MINUTE = 60_000;

const tag = () => randomBytes(4).toString('hex');

const audit = (overrides: Partial<NewAuditEvent> = {}): NewAuditEvent => ({
  at: T0,
  actor: 'alice',
  actorKind: 'operator',
  action: 'login',
  outcome: 'ok',
  address: '192.0.2.7',
  detail: {},
  ...overrides,
});

/** The behaviour every AuditEventStore must have; run once per backend (the tests share one store). */
export function describeAuditEventStoreContract(
  name: string,
  open: () => Promise<AuditEventStoreHarness>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`AuditEventStore contract: ${name}`, () => {
    let harness: AuditEventStoreHarness;
    let store: AuditEventStore;
    beforeAll(async () => {
      harness = await open();
      store = harness.store;
    });
    afterAll(async () => {
      await harness?.cleanup();
    });

    it('appends events and gets them back by id, optional fields only when given', async () => {
      const actor = `op-${tag()}`;
      const full = audit({
        actor,
        action: 'certificate.revoke',
        target: 'a1b2c3',
        outcome: 'refused',
        detail: { reason: 'keyCompromise', nested: { ü: ['x', 1, null] } },
        requestId: 'req-7',
      });
      const minimal = audit({ actor, actorKind: 'cli', address: 'local', at: T0 + 1 });
      await store.append(full);
      await store.append(minimal);
      const [second, first] = await store.list({ actor }, { limit: 10 });
      expect(first!.id).toBeLessThan(second!.id);
      expect(first).toEqual({ ...full, id: first!.id });
      expect(second).toEqual({ ...minimal, id: second!.id });
      expect(second).not.toHaveProperty('target');
      expect(second).not.toHaveProperty('requestId');
      expect(await store.get(first!.id)).toEqual(first);
      expect(await store.get(second!.id + 1_000_000)).toBeUndefined();
    });

    it('lists newest first by actor, action, target and time, and pages with before', async () => {
      const [alice, bob, target] = [`alice-${tag()}`, `bob-${tag()}`, `serial-${tag()}`];
      const action = `operator.${tag()}`;
      const seeded = Array.from({ length: 25 }, (_, i) =>
        audit({
          at: T0 + i * MINUTE,
          actor: i % 2 === 0 ? alice : bob,
          action: i % 3 === 0 ? action : 'login',
          ...(i % 4 === 0 ? { target } : {}),
        }),
      );
      for (const each of seeded) await store.append(each);
      const alices = await store.list({ actor: alice }, { limit: 100 });
      const bobs = await store.list({ actor: bob }, { limit: 100 });
      expect(alices.map(({ id: _id, ...rest }) => rest)).toEqual(seeded.filter((e) => e.actor === alice).reverse());
      expect(bobs).toHaveLength(12);
      const mine = [...alices, ...bobs].sort((a, b) => b.id - a.id);

      const expectFilter = async (filter: Parameters<AuditEventStore['list']>[0], keep: (e: AuditEvent) => boolean) =>
        expect(await store.list(filter, { limit: 100 })).toEqual(mine.filter(keep));
      await expectFilter({ action }, (e) => e.action === action);
      await expectFilter({ target }, (e) => e.target === target);
      await expectFilter({ actor: bob, action }, (e) => e.actor === bob && e.action === action);
      await expectFilter(
        { actor: alice, from: T0 + 4 * MINUTE, to: T0 + 12 * MINUTE },
        (e) => e.actor === alice && e.at >= T0 + 4 * MINUTE && e.at < T0 + 12 * MINUTE,
      );
      expect(await store.list({ actor: alice, action: 'nothing' }, { limit: 10 })).toEqual([]);

      const first = await store.list({ actor: alice }, { limit: 5 });
      const second = await store.list({ actor: alice }, { limit: 5, before: first.at(-1)!.id });
      const third = await store.list({ actor: alice }, { limit: 5, before: second.at(-1)!.id });
      expect([...first, ...second, ...third]).toEqual(alices);
      expect(third).toHaveLength(3);
    });
  });
}
