# The bundled offline demo package set: stand-ins named, versioned and linked like their
# nixpkgs counterparts, built in seconds with plain `derivation`s and no nixpkgs.
# `nix-build nix/pkgs -A hello --option substituters ''`
#
# Extra arguments (nixpkgs' `config`, `overlays`, ...) are accepted and ignored, so callers
# can import this set the way they import nixpkgs.
{
  system ? builtins.currentSystem,
  # How long slowDemo's build sleeps; a number or a string of digits (for --argstr).
  slowSeconds ? 30,
  ...
}:
let
  inherit (import ./lib.nix { inherit system; }) mkDemo;
  MiB = 1024 * 1024;
  args = { inherit mkDemo pkgs MiB slowSeconds; };
  # One fixed point: every file sees the whole set as `pkgs`.
  pkgs =
    import ./libraries.nix args
    // import ./base.nix args
    // import ./tools.nix args
    // import ./languages.nix args
    // import ./special.nix args;
in
pkgs
