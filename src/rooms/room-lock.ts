// Per-room serialised input: one writer per room. Every flow that builds an event for a room runs inside
// `run(roomId, fn)`, so two events of the same room never read the same forward extremities or current state.
//
// Lock order: a flow holds AT MOST ONE room lock at a time (createRoom needs none: the room is invisible until
// its first batch commits; upgradeRoom, propagateProfile and leaveAllRooms take the locks of their rooms one
// after another, never nested). Database transactions are opened only inside a room lock, never the other way
// round, so a lock is never awaited while a transaction is open.
export class RoomLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(roomId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(roomId) ?? Promise.resolve();
    const result = previous.then(fn, fn);
    // The tail settles either way, so one failure does not poison the queue.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(roomId, tail);
    try {
      return await result;
    } finally {
      // Drop the entry when nobody queued behind us, so the map does not grow with every room ever written.
      if (this.tails.get(roomId) === tail) this.tails.delete(roomId);
    }
  }
}
