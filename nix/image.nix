# Plans an image for the runner in @nixery/nix (packages/nix/README.md describes the protocol).
# Called with JSON strings only, so requested names are never parsed as Nix code:
#
#   nix-instantiate --eval --strict --json --read-write-mode nix/image.nix -A plan \
#     --argstr source '{"kind":"path","path":"/abs/pkgs"}' \
#     --argstr packages '["hello","python3packages.requests"]' --argstr system x86_64-linux
#
# `plan` lists, per requested name, the attribute it resolved to, its derivation and the store
# paths of the outputs that belong in the image, plus coreutils (for /usr/bin/env) as `env`.
# Evaluating it writes the .drv files, so the runner then builds `<drvPath>!<output>` without
# evaluating again. `build` is the same selection as a list for a plain `nix-build -A build`.
# Unknown names abort evaluation with `nixery-unknown-packages:<JSON list>:end`.
{
  source,
  packages,
  system ? builtins.currentSystem,
}:
let
  pkgs = import ./lib/load-pkgs.nix { source = builtins.fromJSON source; inherit system; };
  resolved = import ./lib/resolve.nix pkgs (builtins.fromJSON packages);
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

  checked =
    if resolved.unknown == [ ] then
      resolved.found
    else
      throw "nixery-unknown-packages:${builtins.toJSON resolved.unknown}:end";

  env = if pkgs ? coreutils then pkgs.coreutils else null;
in
{
  plan = {
    packages = map (r: { inherit (r) name attr; } // describe r.drv) checked;
    env = if env == null then null else describe env;
  };

  build = builtins.concatMap (drv: map (o: drv.${o}) (outputsOf drv)) (
    map (r: r.drv) checked ++ (if env == null then [ ] else [ env ])
  );
}
