// A synthetic, nixpkgs-shaped package set for the layer-reuse benchmark: named packages people
// pull from Nixery (shells, git, language stacks, tools) on top of glibc-like base libraries, a
// pool of mid-level libraries with power-law fan-in, and a filler of packages nobody requests
// that gives the popularity counts their shape. Seeded, so every run sees the same sets.
import { computePopularity, type PathInfo, type RuntimeGraphJson } from '@nixery/layers';
import { seededRandom } from './grouping.js';

const MB = 1_000_000;
const NIX_BASE32 = '0123456789abcdfghijklmnpqrsvwxyz';

/**
 * A named package: its store path name, a size range in MB and the attributes it references.
 * `privates` is how many small dependencies of its own it gets (random up to this), `libs` how many
 * mid-level libraries it links on top of `deps` (random up to this, preferential attachment).
 */
interface PackageSpec {
  attr: string;
  name: string;
  mb: [number, number];
  deps?: string[];
  privates?: number;
  libs?: number;
}

/** In dependency order: a package only references packages listed before it. */
const CATALOGUE: PackageSpec[] = [
  { attr: 'glibc', name: 'glibc-2.37-8', mb: [28, 32] },
  { attr: 'gcc-lib', name: 'gcc-12.3.0-lib', mb: [7, 9], deps: ['glibc'] },
  { attr: 'zlib', name: 'zlib-1.3', mb: [0.1, 0.15], deps: ['glibc'] },
  { attr: 'xz', name: 'xz-5.4.4', mb: [0.8, 1.1], deps: ['glibc'] },
  { attr: 'bzip2', name: 'bzip2-1.0.8', mb: [0.1, 0.2], deps: ['glibc'] },
  { attr: 'zstd', name: 'zstd-1.5.5', mb: [1, 1.5], deps: ['glibc'] },
  { attr: 'ncurses', name: 'ncurses-6.4', mb: [3, 4], deps: ['glibc'] },
  { attr: 'readline', name: 'readline-8.2p1', mb: [0.5, 0.7], deps: ['ncurses'] },
  { attr: 'bash', name: 'bash-5.2-p15', mb: [1.5, 2], deps: ['glibc'] },
  { attr: 'openssl', name: 'openssl-3.0.10', mb: [5, 7], deps: ['glibc'] },
  { attr: 'libffi', name: 'libffi-3.4.4', mb: [0.05, 0.1], deps: ['glibc'] },
  { attr: 'attr', name: 'attr-2.5.1', mb: [0.1, 0.2], deps: ['glibc'] },
  { attr: 'acl', name: 'acl-2.3.1', mb: [0.2, 0.3], deps: ['attr'] },
  { attr: 'gmp', name: 'gmp-6.3.0', mb: [0.6, 0.9], deps: ['glibc'] },
  { attr: 'pcre2', name: 'pcre2-10.42', mb: [1.5, 2], deps: ['glibc'] },
  { attr: 'expat', name: 'expat-2.5.0', mb: [0.2, 0.3], deps: ['glibc'] },
  { attr: 'libunistring', name: 'libunistring-1.1', mb: [1.8, 2.2], deps: ['glibc'] },
  { attr: 'libidn2', name: 'libidn2-2.3.4', mb: [0.3, 0.4], deps: ['libunistring'] },
  { attr: 'nghttp2', name: 'nghttp2-1.57.0-lib', mb: [0.2, 0.4], deps: ['glibc'] },
  { attr: 'libssh2', name: 'libssh2-1.11.0', mb: [0.3, 0.5], deps: ['openssl', 'zlib'] },
  { attr: 'brotli', name: 'brotli-1.1.0-lib', mb: [0.8, 1.2], deps: ['glibc'] },
  { attr: 'keyutils', name: 'keyutils-1.6.3-lib', mb: [0.05, 0.1], deps: ['glibc'] },
  { attr: 'krb5', name: 'krb5-1.21.2-lib', mb: [3, 4], deps: ['openssl', 'keyutils'] },
  { attr: 'sqlite', name: 'sqlite-3.43.1', mb: [1.5, 2], deps: ['zlib', 'readline'] },
  { attr: 'libxml2', name: 'libxml2-2.11.5', mb: [2, 3], deps: ['zlib', 'xz'] },
  { attr: 'icu', name: 'icu4c-73.2', mb: [33, 37], deps: ['gcc-lib'] },
  { attr: 'systemd-libs', name: 'systemd-minimal-libs-254.3', mb: [4, 6], deps: ['glibc', 'zstd'] },
  { attr: 'cacert', name: 'nss-cacert-3.92', mb: [0.4, 0.6] },
  { attr: 'iana-etc', name: 'iana-etc-20230316', mb: [0.8, 1.2] },
  { attr: 'tzdata', name: 'tzdata-2023c', mb: [2.5, 3.5] },
  { attr: 'mailcap', name: 'mailcap-2.1.53', mb: [0.08, 0.12] },
  {
    attr: 'curl',
    name: 'curl-8.4.0',
    mb: [1, 2],
    deps: ['openssl', 'zlib', 'nghttp2', 'libssh2', 'libidn2', 'brotli', 'zstd', 'krb5'],
  },
  { attr: 'coreutils', name: 'coreutils-9.3', mb: [16, 18], deps: ['acl', 'gmp', 'openssl'] },
  { attr: 'perl', name: 'perl-5.38.0', mb: [55, 65], deps: ['glibc', 'zlib'], privates: 2 },
  {
    attr: 'python3',
    name: 'python3-3.11.6',
    mb: [95, 110],
    deps: [
      'bzip2',
      'expat',
      'libffi',
      'ncurses',
      'openssl',
      'readline',
      'sqlite',
      'xz',
      'zlib',
      'mailcap',
      'tzdata',
    ],
    privates: 3,
  },
  {
    attr: 'nodejs',
    name: 'nodejs-20.9.0',
    mb: [65, 75],
    deps: ['openssl', 'zlib', 'icu', 'gcc-lib', 'brotli'],
    privates: 3,
  },
  { attr: 'go', name: 'go-1.21.3', mb: [200, 260], deps: ['iana-etc', 'mailcap', 'tzdata'] },
  {
    attr: 'llvm-lib',
    name: 'llvm-16.0.6-lib',
    mb: [110, 130],
    deps: ['zlib', 'ncurses', 'libxml2', 'libffi'],
  },
  { attr: 'rustc', name: 'rustc-1.73.0', mb: [280, 320], deps: ['gcc-lib', 'zlib', 'llvm-lib'], privates: 2 },
  {
    attr: 'cargo',
    name: 'cargo-1.73.0',
    mb: [35, 45],
    deps: ['curl', 'openssl', 'zlib', 'gcc-lib'],
    privates: 2,
  },
  { attr: 'binutils', name: 'binutils-2.40', mb: [25, 35], deps: ['zlib', 'gcc-lib'] },
  {
    attr: 'gcc',
    name: 'gcc-12.3.0',
    mb: [150, 200],
    deps: ['gcc-lib', 'gmp', 'binutils', 'zlib'],
    privates: 3,
  },
  {
    attr: 'ruby',
    name: 'ruby-3.1.4',
    mb: [35, 45],
    deps: ['openssl', 'readline', 'zlib', 'libffi'],
    privates: 3,
  },
  // Tools.
  { attr: 'bashInteractive', name: 'bash-interactive-5.2-p15', mb: [8, 9], deps: ['readline', 'ncurses'] },
  { attr: 'moreutils', name: 'moreutils-0.67', mb: [0.3, 0.5], deps: ['perl'], privates: 3 },
  { attr: 'nano', name: 'nano-7.2', mb: [2.5, 3], deps: ['ncurses'], privates: 1, libs: 1 },
  {
    attr: 'git',
    name: 'git-2.42.0',
    mb: [45, 55],
    deps: ['curl', 'openssl', 'pcre2', 'expat', 'zlib', 'perl', 'bash'],
    privates: 4,
    libs: 2,
  },
  { attr: 'htop', name: 'htop-3.2.2', mb: [0.3, 0.4], deps: ['ncurses', 'systemd-libs'], privates: 1 },
  { attr: 'vim', name: 'vim-9.0.2048', mb: [35, 40], deps: ['ncurses', 'acl'], libs: 1 },
  { attr: 'tmux', name: 'tmux-3.3a', mb: [0.9, 1.1], deps: ['ncurses', 'systemd-libs'], privates: 1 },
  { attr: 'jq', name: 'jq-1.7', mb: [0.5, 0.7], privates: 1, libs: 1 },
  { attr: 'less', name: 'less-643', mb: [0.2, 0.4], deps: ['ncurses', 'pcre2'] },
  { attr: 'wget', name: 'wget-1.21.4', mb: [3, 4], deps: ['openssl', 'libidn2', 'pcre2', 'zlib'], libs: 1 },
  {
    attr: 'openssh',
    name: 'openssh-9.5p1',
    mb: [5, 6],
    deps: ['openssl', 'zlib', 'krb5'],
    privates: 1,
    libs: 1,
  },
  { attr: 'rsync', name: 'rsync-3.2.7', mb: [0.8, 1.2], deps: ['acl', 'openssl', 'zstd'], privates: 2 },
  { attr: 'ripgrep', name: 'ripgrep-13.0.0', mb: [5, 6], deps: ['pcre2', 'gcc-lib'] },
  { attr: 'fd', name: 'fd-8.7.1', mb: [3, 4], deps: ['gcc-lib'] },
  { attr: 'strace', name: 'strace-6.5', mb: [2, 3], privates: 1, libs: 1 },
  { attr: 'gnumake', name: 'gnumake-4.4.1', mb: [1.5, 2] },
  { attr: 'findutils', name: 'findutils-4.9.0', mb: [1.5, 2] },
  { attr: 'gawk', name: 'gawk-5.2.2', mb: [3, 4], deps: ['readline', 'gmp'], privates: 1 },
  { attr: 'pkg-config', name: 'pkg-config-wrapper-0.29.2', mb: [0.1, 0.2], privates: 1 },
  { attr: 'kubectl', name: 'kubectl-1.28.3', mb: [45, 55] },
  { attr: 'terraform', name: 'terraform-1.6.2', mb: [80, 90] },
  {
    attr: 'postgresql',
    name: 'postgresql-15.4',
    mb: [30, 40],
    deps: ['openssl', 'readline', 'zlib', 'icu', 'libxml2', 'systemd-libs', 'krb5', 'zstd'],
    privates: 3,
  },
  { attr: 'redis', name: 'redis-7.2.1', mb: [8, 10], deps: ['openssl', 'systemd-libs'], privates: 1 },
  {
    attr: 'nginx',
    name: 'nginx-1.24.0',
    mb: [3, 5],
    deps: ['openssl', 'pcre2', 'zlib', 'mailcap'],
    privates: 2,
    libs: 1,
  },
  // Python packages.
  { attr: 'python3Packages.idna', name: 'python3.11-idna-3.4', mb: [0.4, 0.6], deps: ['python3'] },
  {
    attr: 'python3Packages.certifi',
    name: 'python3.11-certifi-2023.7.22',
    mb: [0.2, 0.3],
    deps: ['python3', 'cacert'],
  },
  { attr: 'python3Packages.urllib3', name: 'python3.11-urllib3-2.0.7', mb: [0.6, 0.8], deps: ['python3'] },
  {
    attr: 'python3Packages.charset-normalizer',
    name: 'python3.11-charset-normalizer-3.3.0',
    mb: [0.5, 0.7],
    deps: ['python3'],
  },
  {
    attr: 'python3Packages.requests',
    name: 'python3.11-requests-2.31.0',
    mb: [0.3, 0.4],
    deps: [
      'python3',
      'python3Packages.idna',
      'python3Packages.certifi',
      'python3Packages.urllib3',
      'python3Packages.charset-normalizer',
    ],
  },
  { attr: 'openblas', name: 'openblas-0.3.24', mb: [30, 36], deps: ['gcc-lib'], privates: 1 },
  {
    attr: 'python3Packages.numpy',
    name: 'python3.11-numpy-1.25.2',
    mb: [38, 45],
    deps: ['python3', 'openblas'],
  },
  { attr: 'python3Packages.six', name: 'python3.11-six-1.16.0', mb: [0.05, 0.08], deps: ['python3'] },
  { attr: 'python3Packages.pytz', name: 'python3.11-pytz-2023.3', mb: [2, 3], deps: ['python3'] },
  {
    attr: 'python3Packages.python-dateutil',
    name: 'python3.11-python-dateutil-2.8.2',
    mb: [0.8, 1],
    deps: ['python3', 'python3Packages.six'],
  },
  {
    attr: 'python3Packages.pandas',
    name: 'python3.11-pandas-2.1.1',
    mb: [60, 70],
    deps: ['python3Packages.numpy', 'python3Packages.python-dateutil', 'python3Packages.pytz'],
  },
  {
    attr: 'python3Packages.markupsafe',
    name: 'python3.11-markupsafe-2.1.3',
    mb: [0.05, 0.08],
    deps: ['python3'],
  },
  {
    attr: 'python3Packages.jinja2',
    name: 'python3.11-jinja2-3.1.2',
    mb: [1, 1.3],
    deps: ['python3Packages.markupsafe'],
  },
  { attr: 'python3Packages.click', name: 'python3.11-click-8.1.7', mb: [0.8, 1], deps: ['python3'] },
  {
    attr: 'python3Packages.flask',
    name: 'python3.11-flask-3.0.0',
    mb: [0.6, 0.9],
    deps: ['python3Packages.jinja2', 'python3Packages.click'],
    privates: 3,
  },
  {
    attr: 'python3Packages.pyyaml',
    name: 'python3.11-pyyaml-6.0.1',
    mb: [0.8, 1],
    deps: ['python3'],
    privates: 1,
  },
  { attr: 'python3Packages.setuptools', name: 'python3.11-setuptools-68.2.2', mb: [4, 6], deps: ['python3'] },
  {
    attr: 'python3Packages.pip',
    name: 'python3.11-pip-23.2.1',
    mb: [8, 10],
    deps: ['python3Packages.setuptools'],
  },
  {
    attr: 'awscli2',
    name: 'awscli2-2.13.33',
    mb: [90, 120],
    deps: ['python3Packages.urllib3', 'python3Packages.python-dateutil', 'python3Packages.pyyaml', 'groff'],
    privates: 5,
  },
  // Node packages.
  { attr: 'yarn', name: 'yarn-1.22.19', mb: [5, 6], deps: ['nodejs'] },
  { attr: 'nodePackages.typescript', name: 'typescript-5.2.2', mb: [20, 25], deps: ['nodejs'] },
  { attr: 'nodePackages.pnpm', name: 'pnpm-8.9.2', mb: [15, 20], deps: ['nodejs'] },
];

/** Packages referenced from the catalogue but defined nowhere get a plain small package. */
const IMPLICIT = ['groff'];

/** The package set of one seed, with the numbers the benchmark needs. */
export interface PackageSet {
  /** Every store path, each with exact closure sizes. */
  paths: PathInfo[];
  /** Attribute → store path of the named packages. */
  attrs: ReadonlyMap<string, string>;
  /** Popularity counted over the whole set, as Nixery's popcount counts a channel. */
  popularity: Map<string, number>;
  /** The base libraries (glibc, openssl, …): changing one rebuilds most of the set. */
  basePaths: string[];
}

export interface PackageSetOptions {
  seed: number;
  /** Packages nobody requests that shape the popularity data (default 1500, mid libraries included). */
  filler?: number;
}

/** One store path under construction. */
interface Draft {
  name: string;
  narSize: number;
  references: number[];
}

/**
 * Builds the package set of a seed: the catalogue (sizes drawn in their range, plus private
 * dependencies and mid-level library links drawn per seed), a pool of mid-level libraries, and
 * the filler. Sizes are heavy-tailed: most paths are tens to hundreds of KB, a few are 10–300 MB.
 */
export function generatePackageSet(options: PackageSetOptions): PackageSet {
  const random = seededRandom(options.seed * 7919 + 17);
  const filler = options.filler ?? 1500;
  const drafts: Draft[] = [];
  const byAttr = new Map<string, number>();
  // Preferential attachment over the mid-level libraries: referencing one adds it again.
  const libraryPool: number[] = [];
  const libraries: number[] = [];
  const add = (name: string, narSize: number, references: Iterable<number>): number => {
    drafts.push({ name, narSize: Math.max(1, Math.round(narSize)), references: [...new Set(references)] });
    return drafts.length - 1;
  };
  const glibc = (): number => byAttr.get('glibc') as number;
  const smallSize = (): number => lognormal(random, 150_000, 1.4, 20 * MB);
  const drawLibraries = (count: number): number[] => {
    const chosen: number[] = [];
    for (let k = 0; k < count && libraryPool.length > 0; k++) {
      // Mostly preferential (power-law fan-in), sometimes any library (a long tail of niche ones).
      const pick = random() < 0.6 ? Math.floor(random() * libraryPool.length) : -1;
      chosen.push(
        pick >= 0
          ? (libraryPool[pick] as number)
          : (libraries[Math.floor(random() * libraries.length)] as number),
      );
    }
    for (const c of chosen) libraryPool.push(c);
    return chosen;
  };
  const base = CATALOGUE.slice(
    0,
    CATALOGUE.findIndex((s) => s.attr === 'curl'),
  );

  for (const attr of IMPLICIT) {
    byAttr.set(attr, add(`${attr}-1.0`, smallSize() * 5, []));
  }
  for (const spec of CATALOGUE) {
    const own: number[] = [];
    for (const dep of spec.deps ?? []) {
      const index = byAttr.get(dep);
      if (index === undefined) throw new Error(`catalogue: ${spec.attr} references ${dep} before it exists`);
      own.push(index);
    }
    if (!base.includes(spec) && spec.deps === undefined) own.push(glibc());
    // Base libraries get nothing extra; other packages private helpers and library links, so
    // that closures reach the tens to hundreds of paths real ones have.
    const isBase = base.includes(spec);
    const privates = isBase ? 0 : Math.floor(random() * ((spec.privates ?? 6) + 1));
    for (let k = 0; k < privates; k++) {
      // Helpers often depend on the helper before them (plugin chains, split outputs).
      const previous = own[own.length - 1];
      const refs = [glibc(), ...drawLibraries(Math.floor(random() * 3))];
      if (k > 0 && previous !== undefined && random() < 0.5) refs.push(previous);
      own.push(
        add(
          `${spec.name.replace(/-[0-9].*$/, '')}-dep${k}-${1 + Math.floor(random() * 9)}.${k}`,
          smallSize(),
          refs,
        ),
      );
    }
    if (!isBase) own.push(...drawLibraries(Math.floor(random() * ((spec.libs ?? 6) + 1))));
    const [low, high] = spec.mb;
    byAttr.set(spec.attr, add(spec.name, (low + random() * (high - low)) * MB, own));
    if (spec === base[base.length - 1]) {
      // The mid-level libraries come after the base ones and before the named packages.
      const libraryCount = Math.max(30, Math.round(filler / 5));
      for (let i = 0; i < libraryCount; i++) {
        const refs = drawBase(
          random,
          base.length,
          (b) => byAttr.get((base[b] as PackageSpec).attr) as number,
        );
        // Libraries link libraries: deep chains, as in nixpkgs.
        if (libraryPool.length > 0 && random() < 0.8)
          refs.push(...drawLibraries(1 + Math.floor(random() * 4)));
        const library = add(`lib${i}-${1 + (i % 5)}.${i % 11}`, smallSize(), refs);
        libraries.push(library);
        libraryPool.push(library);
      }
    }
  }
  for (let i = 0; i < filler; i++) {
    const refs = drawBase(random, base.length, (b) => byAttr.get((base[b] as PackageSpec).attr) as number);
    refs.push(...drawLibraries(Math.floor(-Math.log(1 - random()) * 2.5)));
    // A fifth of the filler extends an interpreter's package set, as python3Packages.* do.
    if (random() < 0.2) refs.push(byAttr.get(random() < 0.7 ? 'python3' : 'perl') as number);
    const size = random() < 0.03 ? (10 + random() * 190) * MB : smallSize();
    add(`pkg${i}-${1 + (i % 7)}.${i % 13}`, size, refs);
  }

  const paths = finish(drafts, random);
  const attrs = new Map<string, string>();
  for (const [attr, index] of byAttr) attrs.set(attr, (paths[index] as PathInfo).path);
  const basePaths = base.map((spec) => attrs.get(spec.attr) as string);
  return { paths, attrs, popularity: popularityOf(paths), basePaths };
}

/** The popularity of a set's paths, counted over the whole set. */
export function popularityOf(paths: PathInfo[]): Map<string, number> {
  return computePopularity([{ graph: paths, exportReferencesGraph: { graph: rootsOf(paths) } }]);
}

/** References to base libraries: glibc for ~90% of paths, each further one less often. */
function drawBase(random: () => number, count: number, indexOf: (b: number) => number): number[] {
  const refs: number[] = [];
  for (let b = 0; b < count; b++) if (random() < 0.9 / (1 + b * 0.6)) refs.push(indexOf(b));
  return refs;
}

/** A log-normal size around `median` bytes, capped. */
function lognormal(random: () => number, median: number, sigma: number, cap: number): number {
  const u = Math.max(random(), 1e-12);
  const v = random();
  const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return Math.min(cap, Math.max(512, median * Math.exp(sigma * normal)));
}

/** Store paths with hashes and exact closure sizes (references only point at earlier paths). */
function finish(drafts: Draft[], random: () => number): PathInfo[] {
  const paths = drafts.map((d) => `/nix/store/${storeHash(random)}-${d.name}`);
  const closures = closureSizes(drafts);
  return drafts.map((draft, i) => ({
    path: paths[i] as string,
    narSize: draft.narSize,
    closureSize: closures[i] as number,
    narHash: syntheticNarHash(paths[i] as string),
    references: draft.references.map((r) => paths[r] as string),
  }));
}

/** Each node's closure size: its own size plus that of everything it reaches through references (indices). */
export function closureSizes(nodes: readonly { narSize: number; references: readonly number[] }[]): number[] {
  const stamp = new Int32Array(nodes.length).fill(-1);
  return nodes.map((_, i) => {
    let closureSize = 0;
    const stack = [i];
    while (stack.length > 0) {
      const v = stack.pop() as number;
      if (stamp[v] === i) continue;
      stamp[v] = i;
      const node = nodes[v] as (typeof nodes)[number];
      closureSize += node.narSize;
      for (const r of node.references) if (stamp[r] !== i) stack.push(r);
    }
    return closureSize;
  });
}

function rootsOf(paths: PathInfo[]): string[] {
  const referenced = new Set(paths.flatMap((p) => p.references));
  return paths.filter((p) => !referenced.has(p.path)).map((p) => p.path);
}

/** A stand-in NAR hash: the store path's own hash (the benchmark never checks contents). */
export function syntheticNarHash(path: string): string {
  return `sha256:${path.slice(11, 43)}`;
}

export function storeHash(random: () => number): string {
  let hash = '';
  for (let k = 0; k < 32; k++) hash += NIX_BASE32[Math.floor(random() * 32)];
  return hash;
}

/** The runtime graph of an image requesting `attrs`: the closure of their paths within the set. */
export function imageGraph(set: PackageSet, attrs: readonly string[]): RuntimeGraphJson {
  const byPath = new Map(set.paths.map((p) => [p.path, p]));
  const requested = attrs.map((attr) => {
    const path = set.attrs.get(attr);
    if (path === undefined) throw new Error(`no package ${attr} in the synthetic set`);
    return path;
  });
  const seen = new Set<string>();
  const stack = [...requested];
  while (stack.length > 0) {
    const path = stack.pop() as string;
    if (seen.has(path)) continue;
    seen.add(path);
    stack.push(...(byPath.get(path) as PathInfo).references);
  }
  // Keep the set's order: a closure listed the same way every time, like `nix path-info`.
  const graph = set.paths.filter((p) => seen.has(p.path));
  return { graph, exportReferencesGraph: { graph: [...new Set(requested)] } };
}

/** The attributes the workload may request. */
export function requestableAttrs(): string[] {
  return CATALOGUE.map((s) => s.attr);
}
