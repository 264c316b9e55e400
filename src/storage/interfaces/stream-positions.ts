/**
 * Where each durable consumer (federation sender, appservice pusher, ...) has got to in a
 * stream, so it resumes there after a restart. One row per (stream, instance): with workers,
 * each instance keeps its own position.
 */
export interface StreamPositionStore {
  getPosition(stream: string, instance: string): Promise<number | null>;
  /** Inserts or overwrites. Positions may move backwards (e.g. a reset), so no check is made. */
  setPosition(stream: string, instance: string, position: number): Promise<void>;
  /** Positions of every instance consuming `stream`. */
  getPositions(stream: string): Promise<Map<string, number>>;
}
