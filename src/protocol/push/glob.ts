import { parseKeyPath } from './key-path.js';

// Glob matching for push rules (spec appendix "Glob-style matching": `*` is zero or more characters,
// `?` exactly one; everything else is literal), case-insensitive as the spec requires.
//
// Patterns are user-supplied and bodies can be large, so matching must not backtrack: a RegExp built
// from `*a*a*a*a*b` takes polynomial-to-exponential time on a long run of `a`, on the path that persists
// every event. Instead a compiled glob is a token list run as an NFA, which is O(text x pattern) at
// worst, with fast paths for patterns without wildcards (most of them: every default rule's pattern).

/**
 * `whole`: the pattern must match the entire value (event_match on any key but content.body).
 * `word`: the pattern must match a substring that starts and ends at a word boundary (content.body,
 * content rules, display names).
 */
export type GlobMode = 'whole' | 'word';

const STAR = -1;
const ANY = -2;

export interface CompiledGlob {
  /** Case-folded code points, or STAR / ANY. Runs of `*` are collapsed to one. */
  readonly tokens: Int32Array;
  readonly hasWildcard: boolean;
}

/** A value prepared once for matching: folded code points and which original characters are word characters. */
export interface PreparedText {
  readonly cps: Int32Array;
  readonly word: Uint8Array;
}

// One code point to one code point, so positions (and word boundaries, computed on the original
// characters) line up with the folded text. Characters whose lower case is longer (U+0130) stay as they are.
function fold(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 0x20 : cp;
  const lower = String.fromCodePoint(cp).toLowerCase();
  const first = lower.codePointAt(0);
  return first !== undefined && String.fromCodePoint(first).length === lower.length ? first : cp;
}

// The spec's word characters: [A-Z], [a-z], [0-9] and `_`; everything else separates words.
function isWordChar(cp: number): boolean {
  return (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) || cp === 0x5f;
}

export function prepareText(value: string): PreparedText {
  const cps: number[] = [];
  for (const ch of value) cps.push(ch.codePointAt(0) ?? 0);
  const folded = new Int32Array(cps.length);
  const word = new Uint8Array(cps.length);
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i] ?? 0;
    folded[i] = fold(cp);
    word[i] = isWordChar(cp) ? 1 : 0;
  }
  return { cps: folded, word };
}

/** `literal` treats `*` and `?` as ordinary characters (display names are not globs). */
export function compileGlob(pattern: string, literal = false): CompiledGlob {
  const tokens: number[] = [];
  let hasWildcard = false;
  for (const ch of pattern) {
    const cp = ch.codePointAt(0) ?? 0;
    if (!literal && ch === '*') {
      hasWildcard = true;
      if (tokens[tokens.length - 1] !== STAR) tokens.push(STAR);
    } else if (!literal && ch === '?') {
      hasWildcard = true;
      tokens.push(ANY);
    } else {
      tokens.push(fold(cp));
    }
  }
  return { tokens: Int32Array.from(tokens), hasWildcard };
}

// A position is a word boundary at either end of the value or when the character on either side of it
// is a separator. "Either side" lets a pattern that itself starts or ends with a separator (`@room`)
// match directly after or before a word character, as a substring starting at a separator does.
function isBoundary(text: PreparedText, pos: number): boolean {
  const n = text.cps.length;
  if (pos === 0 || pos === n) return true;
  return text.word[pos - 1] === 0 || text.word[pos] === 0;
}

function literalAt(tokens: Int32Array, text: PreparedText, start: number): boolean {
  if (start + tokens.length > text.cps.length) return false;
  for (let j = 0; j < tokens.length; j++) if (tokens[j] !== text.cps[start + j]) return false;
  return true;
}

// NFA simulation. State j means "tokens[0..j) consumed"; a STAR at j also allows j+1 without consuming.
class NfaRun {
  private current: Uint8Array;
  private next: Uint8Array;
  private live = 0;

  constructor(private readonly tokens: Int32Array) {
    this.current = new Uint8Array(tokens.length + 1);
    this.next = new Uint8Array(tokens.length + 1);
  }

  addStart(): void {
    this.add(this.current, 0);
  }

  get accepting(): boolean {
    return this.current[this.tokens.length] === 1;
  }

  get empty(): boolean {
    return this.live === 0;
  }

  step(cp: number): void {
    this.next.fill(0);
    this.live = 0;
    const m = this.tokens.length;
    for (let j = 0; j < m; j++) {
      if (this.current[j] !== 1) continue;
      const t = this.tokens[j];
      if (t === STAR) this.add(this.next, j);
      else if (t === ANY || t === cp) this.add(this.next, j + 1);
    }
    [this.current, this.next] = [this.next, this.current];
  }

  private add(set: Uint8Array, j: number): void {
    let k = j;
    while (k < set.length && set[k] !== 1) {
      set[k] = 1;
      this.live++;
      if (this.tokens[k] !== STAR) break;
      k++;
    }
  }
}

export function matchGlob(glob: CompiledGlob, text: PreparedText, mode: GlobMode): boolean {
  const { tokens } = glob;
  const n = text.cps.length;
  if (!glob.hasWildcard) {
    if (mode === 'whole') return tokens.length === n && literalAt(tokens, text, 0);
    for (let start = 0; start + tokens.length <= n; start++) {
      if (isBoundary(text, start) && isBoundary(text, start + tokens.length) && literalAt(tokens, text, start)) return true;
    }
    return false;
  }
  const run = new NfaRun(tokens);
  if (mode === 'whole') {
    run.addStart();
    for (let i = 0; i < n && !run.empty; i++) run.step(text.cps[i] ?? 0);
    return run.accepting;
  }
  for (let pos = 0; ; pos++) {
    const boundary = isBoundary(text, pos);
    if (boundary) run.addStart();
    if (boundary && run.accepting) return true;
    if (pos === n) return false;
    run.step(text.cps[pos] ?? 0);
  }
}

/** A Map used as an LRU: re-inserting on hit keeps the most recently used entries at the end. */
class BoundedCache<V> {
  private readonly entries = new Map<string, V>();
  constructor(private readonly limit: number) {}

  getOrCreate(key: string, create: () => V): V {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const value = create();
    this.entries.set(key, value);
    if (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    return value;
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Compiled globs and parsed key paths, bounded so user-supplied patterns cannot grow memory without
 * limit, plus values prepared for matching, remembered per event object (weakly) because one event is
 * evaluated once per local member of its room. A service keeps one instance and passes it to every
 * evaluation.
 */
export class PushMatcherCache {
  private readonly globs: BoundedCache<CompiledGlob>;
  private readonly paths: BoundedCache<readonly string[]>;
  private readonly texts = new WeakMap<object, Map<string, PreparedText>>();
  /** Per event, results of conditions that depend on the event alone, by the condition's canonical text. */
  private readonly results = new WeakMap<object, Map<string, boolean>>();
  /** Condition object -> its text; rulesets are cached per user, so each object is keyed once. */
  private readonly conditionKeys = new WeakMap<object, string>();
  /** Per event, whether a rule whose result depends on the event alone matched it, by the rule object. */
  private readonly ruleResultsByEvent = new WeakMap<object, Map<object, boolean>>();
  /** Per ruleset object, what evaluation walks (evaluate.ts builds it once per ruleset). */
  private readonly plans = new WeakMap<object, unknown>();
  /** room_member_count conditions, parsed once per condition object. */
  private readonly memberCounts = new WeakMap<object, { op: string; bound: number } | null>();

  constructor(maxEntries = 2000) {
    this.globs = new BoundedCache(maxEntries);
    this.paths = new BoundedCache(maxEntries);
  }

  glob(pattern: string): CompiledGlob {
    return this.globs.getOrCreate(`g\u0000${pattern}`, () => compileGlob(pattern));
  }

  literal(text: string): CompiledGlob {
    return this.globs.getOrCreate(`l\u0000${text}`, () => compileGlob(text, true));
  }

  keyPath(key: string): readonly string[] {
    return this.paths.getOrCreate(key, () => parseKeyPath(key));
  }

  /** `owner` is the event the value came from; its prepared values are dropped with it. */
  text(owner: object, value: string): PreparedText {
    let perEvent = this.texts.get(owner);
    if (perEvent === undefined) {
      perEvent = new Map();
      this.texts.set(owner, perEvent);
    }
    let prepared = perEvent.get(value);
    if (prepared === undefined) {
      prepared = prepareText(value);
      perEvent.set(value, prepared);
    }
    return prepared;
  }

  /**
   * The result of a condition that depends on the event alone (not on the recipient), computed once per
   * event: every member of a room holds the same default conditions, so a 10,000-member room would
   * otherwise match the same pattern against the same event 10,000 times.
   */
  eventResult(event: object, condition: object, compute: () => boolean): boolean {
    let key = this.conditionKeys.get(condition);
    if (key === undefined) {
      key = JSON.stringify(condition);
      this.conditionKeys.set(condition, key);
    }
    let perEvent = this.results.get(event);
    if (perEvent === undefined) {
      perEvent = new Map();
      this.results.set(event, perEvent);
    }
    let result = perEvent.get(key);
    if (result === undefined) {
      result = compute();
      perEvent.set(key, result);
    }
    return result;
  }

  /**
   * Per event, the results of whole rules that depend on the event alone, by rule object: a shared rule (the
   * ruleset cache gives every user the same object for the same rule) is matched once per event, not once per
   * member. The caller decides which rules qualify.
   */
  ruleResults(event: object): Map<object, boolean> {
    let perEvent = this.ruleResultsByEvent.get(event);
    if (perEvent === undefined) {
      perEvent = new Map();
      this.ruleResultsByEvent.set(event, perEvent);
    }
    return perEvent;
  }

  /**
   * What `build` makes of `ruleset`, made once per ruleset object (rulesets are never changed in place). `build`
   * takes the ruleset rather than closing over it: this runs for every member of every event.
   */
  plan<R extends object, T>(ruleset: R, build: (ruleset: R) => T): T {
    let plan = this.plans.get(ruleset) as T | undefined;
    if (plan === undefined) {
      plan = build(ruleset);
      this.plans.set(ruleset, plan);
    }
    return plan;
  }

  /** A room_member_count condition's operator and bound (null: not a valid one), parsed once per condition object. */
  memberCount(condition: object, parse: () => { op: string; bound: number } | null): { op: string; bound: number } | null {
    let test = this.memberCounts.get(condition);
    if (test === undefined) {
      test = parse();
      this.memberCounts.set(condition, test);
    }
    return test;
  }

  /** Number of compiled patterns held (for tests and metrics). */
  get compiledCount(): number {
    return this.globs.size;
  }
}
