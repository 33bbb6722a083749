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
  MiB = 1024 * 1024;
  # The whole set, every derivation for `forSystem`.
  demoSet =
    forSystem:
    let
      inherit (import ./lib.nix { system = forSystem; }) mkDemo;
      args = { inherit mkDemo pkgs MiB slowSeconds; };
      # One fixed point: every file sees the whole set as `pkgs`.
      pkgs =
        import ./libraries.nix args
        // import ./base.nix args
        // import ./tools.nix args
        // import ./languages.nix args
        // import ./special.nix args;
    in
    pkgs;
  # The machine evaluating (and building) the set.
  buildSystem = builtins.currentSystem;
in
if system == "aarch64-linux" && buildSystem != system then
  # Few packages, from static arm64 programs (see aarch64.nix).
  import ./aarch64.nix {
    inherit (import ./lib.nix { inherit system; }) mkDemo;
    inherit buildSystem;
    full = demoSet system;
    buildPkgs = demoSet buildSystem;
  }
else
  demoSet system
