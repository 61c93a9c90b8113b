/**
 * Seeded randomness. One {@link Rng} per run, split by label (proxy, connection, toxic, message)
 * so one connection's draws never shift another's: `rng.fork('proxy:payments').fork('conn:3')`.
 * Same seed and same labels give the same sequence, whatever else happens in the run.
 */

/** A deterministic random source that can be split into independent children. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** A child stream determined only by this stream's seed and `label`. */
  fork(label: string): Rng;
  /** The seed this stream was derived from (for reports and replay). */
  readonly seed: string;
}

// FNV-1a over the label, mixed with the parent seed: cheap, stable, and good enough to
// decorrelate children (the generator itself does the heavy mixing).
function hash32(text: string, h = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

class Sfc32 implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(readonly seed: string) {
    this.a = hash32(seed, 0x9e3779b9);
    this.b = hash32(seed, 0x243f6a88);
    this.c = hash32(seed, 0xb7e15162);
    this.d = 1;
    // Warm up so nearby seeds diverge.
    for (let i = 0; i < 12; i++) this.next();
  }
  next(): number {
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    let t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    t = (t + this.d) | 0;
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    if (max <= min) return min;
    return min + Math.floor(this.next() * (max - min + 1));
  }
  fork(label: string): Rng {
    return new Sfc32(`${this.seed}/${label}`);
  }
}

/** A seeded {@link Rng}. Without a seed, one is drawn from `Math.random` (and reported in `.seed`). */
export function createRng(seed?: number | string): Rng {
  const s = seed === undefined ? String(Math.floor(Math.random() * 2 ** 31)) : String(seed);
  return new Sfc32(s);
}
