/** Items one flush takes at most; the rest go out in the next turn, so one batch stays bounded. */
const MAX_BATCH = 512;

interface Pending<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

/**
 * Collects work submitted during one event-loop turn and hands it to `flush` as one batch at
 * the turn's end (setImmediate), so many concurrent requests share one round trip or one
 * commit. `flush` answers each item with its result or an Error; a thrown error fails the
 * whole batch. Callers are answered only once their batch has completed.
 */
export class LoopBatcher<Item, Result> {
  private queue: Pending<Item, Result>[] = [];
  private scheduled = false;

  constructor(private readonly flush: (items: Item[]) => Promise<(Result | Error)[]>) {}

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.run());
      }
    });
  }

  private async run(): Promise<void> {
    const batch = this.queue.splice(0, MAX_BATCH);
    if (this.queue.length > 0) setImmediate(() => void this.run());
    else this.scheduled = false;
    try {
      const outcomes = await this.flush(batch.map((pending) => pending.item));
      batch.forEach((pending, index) => {
        const outcome = outcomes[index];
        if (outcome instanceof Error) pending.reject(outcome);
        else pending.resolve(outcome as Result);
      });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }
}
