// The images a client pulls from Nixery in the layer-reuse benchmark: shells with tools, language
// stacks and tool combinations, sampled from seeded "popular request" distributions. Popular
// requests recur across seeds and overlap within one (shell/git, shell/git/htop, …).
import { seededRandom } from './grouping.js';

/** One image request: its Nixery name and the attributes it builds. */
export interface ImageRequest {
  name: string;
  /** Sorted, unique; always with cacert, iana-etc and coreutils (Nixery's /usr/bin/env provider). */
  attrs: string[];
}

/** Nixery's `shell` meta-package. */
const SHELL = ['bashInteractive', 'coreutils', 'moreutils', 'nano'];
/** Added to every image, as Nixery does; coreutils provides /usr/bin/env. */
const ALWAYS = ['cacert', 'iana-etc', 'coreutils'];

/** Tools by how often people ask for them (most wanted first; sampled with Zipf weights). */
const TOOLS = [
  'git',
  'curl',
  'jq',
  'htop',
  'vim',
  'openssh',
  'wget',
  'less',
  'rsync',
  'tmux',
  'ripgrep',
  'gnumake',
  'strace',
  'findutils',
  'gawk',
  'fd',
  'kubectl',
  'postgresql',
  'redis',
  'nginx',
  'terraform',
  'awscli2',
];
const PYTHON_PACKAGES = [
  'python3Packages.requests',
  'python3Packages.numpy',
  'python3Packages.pyyaml',
  'python3Packages.flask',
  'python3Packages.pandas',
  'python3Packages.pip',
  'python3Packages.setuptools',
];
const NODE_PACKAGES = ['yarn', 'nodePackages.typescript', 'nodePackages.pnpm'];

/** Request shapes and how often they come. */
const STACKS: { weight: number; make: (pick: Picker) => string[] }[] = [
  { weight: 30, make: (p) => [...SHELL, ...p.some(TOOLS, 0, 3)] },
  { weight: 18, make: (p) => ['python3', ...p.some(PYTHON_PACKAGES, 0, 3)] },
  { weight: 12, make: (p) => ['nodejs', ...p.some(NODE_PACKAGES, 0, 2)] },
  { weight: 20, make: (p) => p.some(TOOLS, 1, 3) },
  { weight: 8, make: (p) => ['go', ...p.some(['git', 'gnumake', 'curl'], 0, 2)] },
  { weight: 5, make: (p) => ['rustc', 'cargo', ...p.some(['git', 'pkg-config', 'openssl', 'gcc'], 0, 2)] },
  { weight: 4, make: (p) => ['gcc', 'gnumake', ...p.some(['binutils', 'pkg-config', 'git'], 0, 2)] },
  { weight: 3, make: (p) => ['ruby', ...p.some(TOOLS.slice(0, 6), 0, 2)] },
];

interface Picker {
  /** Between `min` and `max` distinct items, earlier ones more likely (Zipf weights 1/rank). */
  some(items: readonly string[], min: number, max: number): string[];
}

/**
 * `count` distinct images (30–40 by default) for a seed. A request repeated by the sampler is
 * drawn again: pulling an image one already holds costs nothing with any grouping.
 */
export function generateWorkload(seed: number, count?: number): ImageRequest[] {
  const random = seededRandom(seed * 104729 + 3);
  const total = count ?? 30 + Math.floor(random() * 11);
  const picker: Picker = {
    some(items, min, max) {
      const wanted = min + Math.floor(random() * (max - min + 1));
      const chosen = new Set<string>();
      while (chosen.size < Math.min(wanted, items.length)) chosen.add(zipf(random, items));
      return [...chosen];
    },
  };
  const weights = STACKS.reduce((sum, s) => sum + s.weight, 0);
  const images: ImageRequest[] = [];
  const seen = new Set<string>();
  for (let attempts = 0; images.length < total && attempts < total * 50; attempts++) {
    const requested = pickStack(random() * weights).make(picker);
    const name = nixeryName(requested);
    if (seen.has(name)) continue;
    seen.add(name);
    images.push({ name, attrs: [...new Set([...requested, ...ALWAYS])].sort() });
  }
  return images;
}

/** The stack a roll in [0, total weight) lands on. */
function pickStack(roll: number): (typeof STACKS)[number] {
  let rest = roll;
  for (const stack of STACKS) {
    rest -= stack.weight;
    if (rest < 0) return stack;
  }
  return STACKS[STACKS.length - 1] as (typeof STACKS)[number];
}

/** A Zipf draw: item k (0-based) with weight 1/(k+1). */
function zipf(random: () => number, items: readonly string[]): string {
  let total = 0;
  for (let k = 0; k < items.length; k++) total += 1 / (k + 1);
  let roll = random() * total;
  for (const [k, item] of items.entries()) {
    roll -= 1 / (k + 1);
    if (roll < 0) return item;
  }
  return items[items.length - 1] as string;
}

/** The name a user would pull, `shell/git/htop`: the shell packages folded back into `shell`. */
function nixeryName(requested: string[]): string {
  const hasShell = SHELL.every((s) => requested.includes(s));
  const rest = requested.filter((a) => !(hasShell && SHELL.includes(a))).map((a) => a.toLowerCase());
  return [...(hasShell ? ['shell'] : []), ...[...new Set(rest)].sort()].join('/');
}
