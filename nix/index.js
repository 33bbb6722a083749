// Where the bundled demo package set lives, resolved from this package's own folder so it holds
// in this checkout and in an installed copy alike; and the facts about the set that workloads
// outside it (the build-storm benchmark, the e2e admission test) rely on.
import { fileURLToPath } from 'node:url';

/** The demo package set's folder (`pkgs/`, a nixpkgs-shaped set that builds offline). */
export const bundledPackageSetPath = fileURLToPath(new URL('./pkgs', import.meta.url));

/** Popularity counted over the whole demo set (`nixery popularity --all`), as a file URL. */
export const bundledPopularityUrl = new URL('./pkgs/popularity.json', import.meta.url).href;

/** Small packages of the demo set; a storm of distinct cold pulls is made of pairs of them. */
export const smallDemoPackages = Object.freeze([
  'hello',
  'busybox',
  'bash',
  'coreutils',
  'gnused',
  'gnugrep',
  'findutils',
  'gawk',
  'gnutar',
  'gzip',
  'diffutils',
  'which',
  'less',
  'perl',
  'zlib',
  'bzip2',
  'xz',
  'openssl',
  'ncurses',
  'readline',
  'pcre2',
  'expat',
  'libffi',
  'gmp',
  'attr',
  'acl',
  'nghttp2',
  'libunistring',
  'libidn2',
  'libuv',
  'brotli',
  'oniguruma',
  'libevent',
]);

/**
 * `count` distinct image names, each two small packages (`a/b`, sorted), in a fixed order. None
 * starts with `shell/`, so none is the image a workload keeps cached (`shell/hello`).
 */
export function smallDemoImages(count) {
  const pool = smallDemoPackages;
  const most = (pool.length * (pool.length - 1)) / 2;
  if (count > most) throw new RangeError(`at most ${most} distinct pairs, not ${count}`);
  const names = new Set();
  for (let step = 1; names.size < count; step++) {
    for (let i = 0; i < pool.length && names.size < count; i++) {
      names.add([pool[i], pool[(i + step) % pool.length]].sort().join('/'));
    }
  }
  return [...names];
}
