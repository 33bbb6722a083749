# The start-up check (called by @nixery/nix's checkPackageSet): can this Nix evaluate the set?
# nixpkgs states its own minimum in lib/minfeatures.nix (read by its default.nix, which aborts
# when a feature is missing: an abort no caller can catch). Reading that small file is cheap and
# loads none of the package set. Sets without it (the bundled one) need nothing.
#
#   nix-instantiate --eval --strict --json nix/probe.nix --argstr source '{"kind":"path","path":"/abs"}'
{ source }:
let
  dir = import ./lib/source-dir.nix (builtins.fromJSON source);
  file = dir + "/lib/minfeatures.nix";
  missing =
    if !(builtins.pathExists (dir + "/default.nix")) then
      throw "nixery: no package set (default.nix) at ${toString dir}"
    else if builtins.pathExists file then
      map (f: f.description) (import file).missing
    else
      [ ];
in
{
  inherit missing;
  nixVersion = builtins.nixVersion;
}
