# The aarch64-linux stand-ins as the tests build them: aarch64.nix's derivations with one
# test-only variable more. Test builds then never put the set's own aarch64 outputs into the
# shared store, where a machine without `extra-platforms` would find them already built (the
# registry's tests expect `arm64/hello` to fail there with Nix's "required system" error).
let
  buildSystem = builtins.currentSystem;
  inherit (import ../pkgs/lib.nix { system = "aarch64-linux"; }) mkDemo;
  buildPkgs = import ../pkgs { system = buildSystem; };
  markTestBuild = args: args // { extraEnv = (args.extraEnv or { }) // { nixeryTestBuild = "1"; }; };
in
import ../pkgs/aarch64.nix {
  mkDemo = args: mkDemo (markTestBuild args);
  # Names and versions only; the set's own packages are the same for both systems.
  full = buildPkgs;
  inherit buildPkgs buildSystem;
}
