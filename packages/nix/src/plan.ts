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

export interface ImagePlan {
  packages: PlannedPackage[];
  env: PlannedDerivation | null;
}

const STORE_PATH = /^\/[^\0\n]+$/;

export function parsePlan(stdout: string): ImagePlan {
  const raw = JSON.parse(stdout) as { packages?: unknown; env?: unknown };
  if (!Array.isArray(raw.packages)) throw new Error('image plan: "packages" is not a list');
  const packages = raw.packages.map((p: Record<string, unknown>) => {
    if (typeof p.name !== 'string' || typeof p.attr !== 'string')
      throw new Error('image plan: package without name');
    return { name: p.name, attr: p.attr, ...derivation(p) };
  });
  const env =
    raw.env === null || raw.env === undefined ? null : derivation(raw.env as Record<string, unknown>);
  return { packages, env };
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
