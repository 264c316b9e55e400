import { MinHeap } from './heap.js';

/**
 * Kahn's algorithm that always emits the smallest ready node under `less`: the lexicographically smallest
 * topological order. `deps(n)` are the nodes that must come before `n` (for state resolution, the auth events);
 * dependencies outside `nodes` are ignored. O((V + E) log V).
 *
 * Nodes left over because of a cycle (impossible in a valid auth DAG, possible with hostile input) are appended in
 * `less` order so that the result is still a deterministic permutation of the input.
 */
export function lexicographicTopologicalSort<T>(
  nodes: Iterable<T>,
  deps: (node: T) => Iterable<T>,
  less: (a: T, b: T) => boolean,
): T[] {
  const all = new Set(nodes);
  const pending = new Map<T, number>();
  const dependents = new Map<T, T[]>();
  const ready = new MinHeap<T>(less);

  for (const node of all) {
    let count = 0;
    for (const d of new Set(deps(node))) {
      if (!all.has(d) || d === node) continue;
      count++;
      const list = dependents.get(d);
      if (list) list.push(node);
      else dependents.set(d, [node]);
    }
    pending.set(node, count);
    if (count === 0) ready.push(node);
  }

  const out: T[] = [];
  for (let node = ready.pop(); node !== undefined; node = ready.pop()) {
    out.push(node);
    pending.delete(node);
    for (const parent of dependents.get(node) ?? []) {
      const left = (pending.get(parent) ?? 0) - 1;
      pending.set(parent, left);
      if (left === 0) ready.push(parent);
    }
  }
  if (pending.size > 0) {
    out.push(...[...pending.keys()].sort((a, b) => (less(a, b) ? -1 : less(b, a) ? 1 : 0)));
  }
  return out;
}
