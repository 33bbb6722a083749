# A package set of real files for the benchmarks in bench/: one store path per top-level
# directory of each host folder in `roots` (e.g. /usr/lib/python3.11, /usr/include), plus one
# path per root for its top-level files and symlinks. Real closures are thousands of small files
# (headers, modules, locales) beside a few large libraries; this set has that shape. Builders copy
# the host folders (the Nix sandbox is off here), so it builds offline. The store paths depend on
# the folder names only, not on their contents: fine for a benchmark on one machine.
#
#   nix-build nix/bench-real -A real --arg roots '[ "/usr/share/zoneinfo" ]' --option substituters ''
#
# Attributes:
#   cacert iana-etc coreutils   what every image gets (taken from the synthetic set, nix/bench)
#   real                        references every copied path: the image of all of them
{
  system ? builtins.currentSystem,
  roots ? [ "/usr/share/zoneinfo" ],
  ...
}:
let
  synthetic = import ../bench {
    inherit system;
    seed = "real";
    totalMiB = 1;
    packages = 1;
    bigPathMiB = 1;
    scalePaths = [ ];
  };

  # Store path names allow only these characters; anything else becomes part of a hash.
  safeName = name: if builtins.match "[a-zA-Z0-9+_?=-][a-zA-Z0-9+._?=-]*" name != null && builtins.stringLength name < 150 then name else "h" + builtins.substring 0 12 (builtins.hashString "sha256" name);
  rootLabel = root: safeName (builtins.replaceStrings [ "/" ] [ "-" ] (builtins.substring 1 (builtins.stringLength root) root));

  copyPaths =
    { name, sources }:
    derivation {
      inherit name system;
      builder = "/bin/sh";
      args = [ ./copy.sh ];
      # One host path a line (passAsFile: some roots have hundreds of top-level files).
      sources = builtins.concatStringsSep "\n" sources;
      passAsFile = [ "sources" ];
    };

  pathsOf =
    root:
    let
      entries = builtins.readDir root;
      names = builtins.attrNames entries;
      dirs = builtins.filter (n: entries.${n} == "directory") names;
      loose = builtins.filter (n: entries.${n} != "directory") names;
    in
    map (d: copyPaths { name = "real-${rootLabel root}-${safeName d}"; sources = [ "${root}/${d}" ]; }) dirs
    ++ (if loose == [ ] then [ ] else [ (copyPaths { name = "real-${rootLabel root}-files"; sources = map (n: "${root}/${n}") loose; }) ]);

  members = builtins.concatMap pathsOf (builtins.filter builtins.pathExists roots);
in
{
  inherit (synthetic) cacert iana-etc coreutils;
  real = derivation {
    name = "real-files";
    inherit system;
    builder = "/bin/sh";
    args = [ ./top.sh ];
    members = builtins.concatStringsSep "\n" (map (m: m.outPath) members);
    passAsFile = [ "members" ];
  };
}
