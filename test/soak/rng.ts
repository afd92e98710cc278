import { seededRandom } from '../harness/hostile-rpc';

/**
 * Every random decision of the soak comes from one of these (the proxy's mulberry32), so a run's
 * choices (scenarios, amounts, fault moments) follow from its seed.
 */
export class Rng {
  private readonly random: () => number;

  constructor(private readonly seed: number) {
    this.random = seededRandom(seed);
  }

  /** A new generator for one part of the soak, so parts running concurrently do not shift each other's draws. */
  fork(label: string): Rng {
    let h = this.seed ^ 0x9e3779b9;
    for (const ch of label) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
    return new Rng(h >>> 0);
  }

  next(): number {
    return this.random();
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}
