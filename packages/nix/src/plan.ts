/** What `nix/image.nix -A plan` evaluates to (described in this package's README). */
export interface PlannedDerivation {
  drvPath: string;
  /** Installed outputs in order, e.g. ['out'] or ['bin', 'man']. */
  outputNames: string[];
  outputs: Record<string, string>;
}

export interface PlannedPackage extends PlannedDerivation {
  name: string;
  attr: string;
}

/** A name that did not resolve to a derivation (nix/lib/resolve.nix). */
export type UnplannedPackage =
  | { name: string; status: 'unknown' }
  | { name: string; status: 'failed'; attr: string; stage: 'attribute' | 'derivation' };

export interface ImagePlan {
  packages: PlannedPackage[];
  unplanned: UnplannedPackage[];
  env: PlannedDerivation | null;
}

const STORE_PATH = /^\/[^\0\n]+$/;

export function parsePlan(stdout: string): ImagePlan {
  const raw = JSON.parse(stdout) as { packages?: unknown; env?: unknown };
  if (!Array.isArray(raw.packages)) throw new Error('image plan: "packages" is not a list');
  const packages: PlannedPackage[] = [];
  const unplanned: UnplannedPackage[] = [];
  for (const p of raw.packages as Record<string, unknown>[]) {
    if (typeof p.name !== 'string') throw new Error('image plan: package without name');
    if (p.status === 'unknown') {
      unplanned.push({ name: p.name, status: 'unknown' });
    } else if (p.status === 'failed') {
      if (typeof p.attr !== 'string' || (p.stage !== 'attribute' && p.stage !== 'derivation'))
        throw new Error(`image plan: failed package ${p.name} without attribute or stage`);
      unplanned.push({ name: p.name, status: 'failed', attr: p.attr, stage: p.stage });
    } else {
      if (typeof p.attr !== 'string') throw new Error(`image plan: package ${p.name} without attribute`);
      packages.push({ name: p.name, attr: p.attr, ...derivation(p) });
    }
  }
  const env =
    raw.env === null || raw.env === undefined ? null : derivation(raw.env as Record<string, unknown>);
  return { packages, unplanned, env };
}

function derivation(raw: Record<string, unknown>): PlannedDerivation {
  const { drvPath, outputNames, outputs } = raw;
  if (typeof drvPath !== 'string' || !STORE_PATH.test(drvPath)) throw new Error('image plan: bad drvPath');
  if (
    !Array.isArray(outputNames) ||
    outputNames.length === 0 ||
    typeof outputs !== 'object' ||
    outputs === null
  ) {
    throw new Error(`image plan: no outputs for ${drvPath}`);
  }
  const paths = outputs as Record<string, unknown>;
  for (const name of outputNames) {
    const path = paths[name];
    if (typeof name !== 'string' || typeof path !== 'string' || !STORE_PATH.test(path)) {
      throw new Error(`image plan: output ${String(name)} of ${drvPath} has no store path`);
    }
  }
  return { drvPath, outputNames: outputNames as string[], outputs: paths as Record<string, string> };
}

/** `nix-build` installables for a planned derivation: one `<drv>!<output>` per output. */
export function buildTargets(d: PlannedDerivation): string[] {
  return d.outputNames.map((o) => `${d.drvPath}!${o}`);
}

export function outPaths(d: PlannedDerivation): string[] {
  return d.outputNames.map((o) => d.outputs[o] as string);
}
