import type { Clock } from '../../src/clock.js';

/** Real time that a test can move forward (expiries, idle timeouts, lockout ends) while the server runs. */
export class MovableClock implements Clock {
  offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
}
