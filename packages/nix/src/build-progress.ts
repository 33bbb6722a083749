/**
 * Progress of one `nix-build`, read from its stderr (Nix 2.8 onwards, plain output). Nix announces
 * the work up front ("these N derivations will be built:", "these N paths will be fetched …:",
 * or "this derivation …" / "this path …" for one, each followed by the indented store paths),
 * then logs "building '<drv>'…" as each build starts and "copying path '<path>' from '<store>'…"
 * as each download starts. Nix's plain output does not say when one build ends, so `started`
 * counts starts; the step ending successfully means all of them are done.
 */
export interface NixBuildProgress {
  derivations: { total: number; started: number };
  fetches: { total: number; started: number };
  /** The derivation whose build started last (its store path), or null before any. */
  current: string | null;
}

const ANNOUNCE =
  /^(?:these (\d+) (derivations|paths) will be (built|fetched)|this (derivation|path) will be (built|fetched))\b/;
const LISTED = /^\s+(\/nix\/store\/\S+)$/;
const BUILDING = /^building '(\/nix\/store\/[^']+\.drv)'/;
const COPYING = /^copying path '(\/nix\/store\/[^']+)' from '/;

/**
 * A parser fed nix-build's stderr line by line; `feed` returns the new progress when a line
 * changed it, else null. A derivation or path is counted once however often it is named.
 */
export class NixBuildProgressParser {
  private readonly toBuild = new Set<string>();
  private readonly toFetch = new Set<string>();
  private readonly built = new Set<string>();
  private readonly fetched = new Set<string>();
  private listing: 'build' | 'fetch' | null = null;
  private current: string | null = null;

  feed(line: string): NixBuildProgress | null {
    const announced = ANNOUNCE.exec(line);
    if (announced) {
      this.listing = (announced[3] ?? announced[5]) === 'built' ? 'build' : 'fetch';
      return null;
    }
    const listed = this.listing ? LISTED.exec(line) : null;
    if (listed?.[1]) {
      const list = this.listing === 'build' ? this.toBuild : this.toFetch;
      list.add(listed[1]);
      return this.progress();
    }
    this.listing = null;
    const building = BUILDING.exec(line);
    if (building?.[1]) {
      this.built.add(building[1]);
      this.toBuild.add(building[1]);
      this.current = building[1];
      return this.progress();
    }
    const copying = COPYING.exec(line);
    if (copying?.[1]) {
      this.fetched.add(copying[1]);
      this.toFetch.add(copying[1]);
      return this.progress();
    }
    return null;
  }

  progress(): NixBuildProgress {
    return {
      derivations: { total: this.toBuild.size, started: this.built.size },
      fetches: { total: this.toFetch.size, started: this.fetched.size },
      current: this.current,
    };
  }
}
