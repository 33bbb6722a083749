# A large synthetic package set shaped like nixpkgs, for the benchmarks in bench/.
# Plain `derivation`s run by the host's /bin/sh (the Nix sandbox is off here), so it builds
# offline without nixpkgs. Everything is derived from `seed`: the same arguments give the same
# store paths, so a second run finds the set already built.
#
#   nix-build nix/bench -A gen0007 --argstr seed 1 --arg totalMiB 1024 --option substituters ''
#
# Attributes:
#   cacert iana-etc coreutils          what every image gets (coreutils provides /usr/bin/env)
#   glibc gccLib zlib openssl ...      base libraries, referenced by most packages
#   gen0000 ... gen<packages-1>        generated packages (sizes skewed, files mixed, see below)
#   bigdata                            one store path holding a `bigPathMiB` incompressible file
#   scale<N> for N in scalePaths       an image of exactly N store paths once cacert, iana-etc
#                                      and coreutils (with glibc) are added
#   all                                every generated, base and big package (the whole set)
{
  system ? builtins.currentSystem,
  seed ? "1",
  # Total size of the generated packages (base libraries and bigdata come on top).
  totalMiB ? 1024,
  packages ? 300,
  bigPathMiB ? 500,
  scalePaths ? [ 100 1000 5000 ],
  ...
}:
let
  MiB = 1024 * 1024;
  toInt = v: if builtins.isInt v then v else builtins.fromJSON (toString v);
  totalBytes = toInt totalMiB * MiB;
  count = toInt packages;
  seedStr = toString seed;

  # Deterministic pseudo-random numbers: the first 7 hex digits of sha256(seed/key).
  hexDigits = {
    "0" = 0; "1" = 1; "2" = 2; "3" = 3; "4" = 4; "5" = 5; "6" = 6; "7" = 7;
    "8" = 8; "9" = 9; "a" = 10; "b" = 11; "c" = 12; "d" = 13; "e" = 14; "f" = 15;
  };
  hexToInt = s: builtins.foldl' (acc: i: acc * 16 + hexDigits.${builtins.substring i 1 s}) 0 (builtins.genList (i: i) (builtins.stringLength s));
  random = key: hexToInt (builtins.substring 0 7 (builtins.hashString "sha256" "${seedStr}/${key}"));
  randomBelow = key: n: if n <= 0 then 0 else (random key) - ((random key) / n) * n;
  pick = key: list: builtins.elemAt list (randomBelow key (builtins.length list));
  pad4 = i: let s = toString i; in builtins.substring 0 (4 - builtins.stringLength s) "0000" + s;

  mkPackage =
    {
      pname,
      version,
      deps ? [ ],
      # Incompressible bytes in one big file (share/<pname>/data.bin); 0 for none.
      bigBytes ? 0,
      # Many small files: this many bytes split over `smallFiles` files, about half
      # incompressible (lib/) and half compressible text (share/doc/).
      smallBytes ? 0,
      smallFiles ? 0,
      extraScript ? "",
    }:
    derivation {
      name = "${pname}-${version}";
      inherit system pname version;
      builder = "/bin/sh";
      args = [ ./builders/package.sh ];
      runtimeDeps = deps;
      inherit bigBytes smallBytes smallFiles extraScript;
      # A fixed AES key per package: deterministic data that differs between packages.
      dataKey = builtins.hashString "md5" "${seedStr}/${pname}-${version}";
      allowedReferences = deps ++ [ "out" ];
    };

  version = key: "${toString (1 + randomBelow "${key}/major" 9)}.${toString (randomBelow "${key}/minor" 30)}.${toString (randomBelow "${key}/patch" 12)}";

  # Base-library sizes are given for the default 1 GiB set and shrink with smaller sets.
  scaled = bytes: let b = bytes * toInt totalMiB / 1024; in if b < 1024 then 1024 else b;

  base = rec {
    glibc = mkPackage { pname = "glibc"; version = "2.39-52"; smallBytes = scaled (3 * MiB); smallFiles = 120; bigBytes = scaled (2 * MiB); };
    gccLib = mkPackage { pname = "gcc"; version = "13.2.0-lib"; deps = [ glibc ]; smallBytes = scaled (MiB); smallFiles = 30; bigBytes = scaled (6 * MiB); };
    zlib = mkPackage { pname = "zlib"; version = "1.3.1"; deps = [ glibc ]; smallBytes = scaled (200000); smallFiles = 12; };
    openssl = mkPackage { pname = "openssl"; version = "3.0.13"; deps = [ glibc zlib ]; smallBytes = scaled (2 * MiB); smallFiles = 60; bigBytes = scaled (4 * MiB); };
    ncurses = mkPackage { pname = "ncurses"; version = "6.4"; deps = [ glibc ]; smallBytes = scaled (3 * MiB); smallFiles = 400; };
    libffi = mkPackage { pname = "libffi"; version = "3.4.6"; deps = [ glibc ]; smallBytes = scaled (150000); smallFiles = 10; };
    readline = mkPackage { pname = "readline"; version = "8.2p10"; deps = [ glibc ncurses ]; smallBytes = scaled (800000); smallFiles = 25; };
    sqlite = mkPackage { pname = "sqlite"; version = "3.45.3"; deps = [ glibc zlib readline ]; smallBytes = scaled (500000); smallFiles = 15; bigBytes = scaled (2 * MiB); };
  };
  baseList = builtins.attrValues base;

  essentials = {
    cacert = mkPackage { pname = "nss-cacert"; version = "3.98"; smallBytes = 250000; smallFiles = 3; };
    iana-etc = mkPackage { pname = "iana-etc"; version = "20240318"; smallBytes = 30000; smallFiles = 3; };
    coreutils = mkPackage {
      pname = "coreutils";
      version = "9.5";
      deps = [ base.glibc ];
      smallBytes = 1500000;
      smallFiles = 100;
      extraScript = ''mkdir -p "$out/bin"; printf '#!/bin/sh\nexec "$@"\n' >"$out/bin/env"; chmod 0555 "$out/bin/env"'';
    };
  };

  words = [ "lib" "py" "perl" "rust" "go" "node" "qt" "gtk" "x" "gst" "hs" "ocaml" "lua" "ruby" "java" "tex" ];
  stems = [ "xml" "yaml" "json" "png" "jpeg" "tiff" "http" "ssh" "git" "dbus" "font" "audio" "video" "crypt" "proto" "regex" "math" "image" "term" "mail" ];

  # Skewed sizes: most packages are small, one in 20 is forty times heavier (as compilers,
  # browsers and language runtimes are in nixpkgs).
  weight = i: (1 + randomBelow "w/${toString i}" 100) * (if randomBelow "heavy/${toString i}" 20 == 0 then 40 else 1);
  weights = builtins.genList weight count;
  weightSum = builtins.foldl' (a: b: a + b) 0 weights;

  generated = builtins.genList (
    i:
    let
      key = "p/${toString i}";
      size = totalBytes / weightSum * (builtins.elemAt weights i);
      # Big packages keep most of their bytes in one large file; small ones are all small files.
      bigBytes = if size > 4 * MiB then size * 6 / 10 else 0;
      smallBytes = size - bigBytes;
      smallFiles = let n = smallBytes / (6 * 1024); in if n < 2 then 2 else if n > 600 then 600 else n;
      baseDeps = [ base.glibc ] ++ builtins.genList (j: pick "${key}/base/${toString j}" baseList) (randomBelow "${key}/nbase" 4);
      # References go to earlier packages only (a DAG), biased to the lowest indices so that
      # a few generated packages become popular, as foundational libraries are.
      earlier = if i == 0 then [ ] else builtins.genList (j: builtins.elemAt generatedRaw (randomBelow "${key}/dep/${toString j}" (1 + randomBelow "${key}/range/${toString j}" i))) (randomBelow "${key}/ndeps" 4);
    in
    {
      attr = "gen${pad4 i}";
      value = mkPackage {
        pname = "${pick "${key}/word" words}${pick "${key}/stem" stems}";
        version = version key;
        deps = unique (baseDeps ++ earlier);
        inherit bigBytes smallBytes smallFiles;
      };
    }
  ) count;
  generatedRaw = map (g: g.value) generated;

  unique = list: builtins.foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ] list;

  bigdata = mkPackage { pname = "bigdata"; version = "1.0"; bigBytes = toInt bigPathMiB * MiB; smallBytes = 4096; smallFiles = 2; };

  # scale<N>: a package whose closure, together with cacert, iana-etc, coreutils and glibc,
  # has exactly N store paths. Its members are outputs of multi-output derivations (100
  # outputs each, as nixpkgs splits packages into out/lib/dev/...), since Nix builds one
  # derivation per path far too slowly for thousands of paths.
  scalePackage =
    n:
    let
      members = n - 5; # minus the four essentials and the top package itself
      perDrv = 100;
      drvCount = (members + perDrv - 1) / perDrv;
      family =
        d:
        let
          outs = builtins.genList (j: "o${toString j}") (if d == drvCount - 1 then members - d * perDrv else perDrv);
        in
        map (o: (familyDrv n d outs).${o}) outs;
    in
    derivation {
      name = "scale${toString n}-1.0";
      inherit system;
      builder = "/bin/sh";
      args = [ ./builders/scale-top.sh ];
      members = builtins.concatLists (builtins.genList family drvCount);
      # Thousands of store paths overflow one environment variable; Nix writes them to a file.
      passAsFile = [ "members" ];
    };
  familyDrv =
    n: d: outs:
    derivation {
      name = "scale${toString n}-part${toString d}";
      inherit system;
      builder = "/bin/sh";
      args = [ ./builders/scale-family.sh ];
      outputs = outs;
      glibc = base.glibc;
      seed = seedStr;
    };
  scale = builtins.listToAttrs (map (n: { name = "scale${toString n}"; value = scalePackage (toInt n); }) scalePaths);

  named = builtins.listToAttrs (map (g: { name = g.attr; value = g.value; }) generated);
in
base
// essentials
// named
// scale
// {
  inherit bigdata;
  all = derivation {
    name = "bench-set-all";
    inherit system;
    builder = "/bin/sh";
    args = [ "-c" "echo \"$members\" >$out" ];
    members = generatedRaw ++ baseList ++ builtins.attrValues essentials ++ [ bigdata ];
  };
}
