# Lists every derivation of the demo package set (nested sets included) with the facts
# the tests check, without building anything. Used by the tests in this directory.
{
  system ? builtins.currentSystem,
  slowSeconds ? 30,
}:
let
  pkgs = import ../pkgs { inherit system slowSeconds; };
  isDerivation = value: builtins.isAttrs value && (value.type or null) == "derivation";
  # A package the set refuses for this system (aarch64.nix) has no drvPath or output path.
  describe =
    attr: drv:
    let
      available = (builtins.tryEval drv.drvPath).success;
    in
    {
      inherit attr available;
      inherit (drv) name system;
      drvPath = if available then drv.drvPath else null;
      # Not `outPath`: an attribute set with one is written to JSON as that string.
      out = if available then drv.outPath else null;
      description = drv.meta.description or null;
    };
  walk =
    prefix: set:
    builtins.concatLists (
      map (
        key:
        let
          value = set.${key};
        in
        if isDerivation value then
          [ (describe (prefix + key) value) ]
        else if builtins.isAttrs value then
          walk (prefix + key + ".") value
        else
          [ ]
      ) (builtins.attrNames set)
    );
in
walk "" pkgs
