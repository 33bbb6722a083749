# Which outputs of a package go into an image: the one explicitly selected (pkg.bin), else
# what the package asks to be installed (meta.outputsToInstall, as nix-env and buildEnv use),
# else its default output.
drv:
let
  default = drv.outputName or "out";
  declared = drv.outputs or [ default ];
  wanted = drv.meta.outputsToInstall or [ default ];
  existing = builtins.filter (o: builtins.elem o declared) wanted;
in
if drv.outputSpecified or false then
  [ default ]
else if existing == [ ] then
  [ default ]
else
  existing
