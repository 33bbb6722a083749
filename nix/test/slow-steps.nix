# A test-only package set: the bundled set plus `slowsteps`, two chained demo derivations that
# each log a few lines and sleep `seconds`. `nonce` makes them new derivations, so every test
# that passes its own really builds them (tests of build progress see both builds start).
{
  system ? builtins.currentSystem,
  nonce,
  seconds ? 2,
  ...
}:
let
  inherit (import ../pkgs/lib.nix { inherit system; }) mkDemo;
  step =
    pname: deps:
    mkDemo {
      inherit pname deps;
      version = "1.0";
      description = "a slow build step for progress tests";
      installScript = ../pkgs/builders/install-slow.sh;
      extraEnv = {
        slowSeconds = toString seconds;
        inherit nonce;
      };
    };
  stepA = step "slow-step-a" [ ];
in
import ../pkgs { inherit system; }
// {
  slowsteps = step "slow-step-b" [ stepA ];
}
