# Plans an image for the runner in @nixery/nix (packages/nix/README.md describes the protocol).
# Called with JSON strings only, so requested names are never parsed as Nix code:
#
#   nix-instantiate --eval --strict --json --read-write-mode nix/image.nix -A plan \
#     --argstr source '{"kind":"path","path":"/abs/pkgs"}' \
#     --argstr packages '["hello","python3packages.requests"]' --argstr system x86_64-linux \
#     [--argstr settings '{"allowUnfree":true}'] [--argstr strict true]
#
# `plan` lists, per requested name, its status (lib/resolve.nix): for found names the attribute it
# resolved to, its derivation and the store path of the output that belongs in the image; plus
# coreutils (for /usr/bin/env) as `env`. Evaluating it writes the .drv files, so the runner then
# builds `<drvPath>!<output>` without evaluating again. `build` is the found names' selection as a
# list for a plain `nix-build -A build`. With strict = "true" failures are not caught, so Nix
# prints why a name failed (the runner does that for one name at a time).
{
  source,
  packages,
  system ? builtins.currentSystem,
  settings ? "{}",
  strict ? "false",
}:
let
  pkgs = import ./lib/load-pkgs.nix {
    source = builtins.fromJSON source;
    settings = builtins.fromJSON settings;
    inherit system;
  };
  resolved = import ./lib/resolve.nix { strict = strict == "true"; } pkgs (builtins.fromJSON packages);
  outputsOf = import ./lib/outputs.nix;

  describe =
    drv:
    let
      outputs = outputsOf drv;
    in
    {
      drvPath = drv.drvPath;
      outputs = builtins.listToAttrs (map (o: { name = o; value = drv.${o}.outPath; }) outputs);
      outputNames = outputs;
    };

  planned = r: if r.status == "found" then { inherit (r) name attr status; } // describe r.drv else removeAttrs r [ "drv" ];
  found = map (r: r.drv) (builtins.filter (r: r.status == "found") resolved);

  env = if pkgs ? coreutils then pkgs.coreutils else null;
in
{
  plan = {
    packages = map planned resolved;
    env = if env == null then null else describe env;
  };

  build = builtins.concatMap (drv: map (o: drv.${o}) (outputsOf drv)) (found ++ (if env == null then [ ] else [ env ]));
}
