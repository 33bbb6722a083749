# Loads the package set a source description names. `source` is the decoded JSON the runner
# passes (see @nixery/source): { kind = "path"; path } | { kind = "channel"; channel }
# | { kind = "git"; url; ref? ; rev? }. `settings` is decoded JSON too: { allowUnfree? }.
#
# The import is pure: nixpkgs gets `config` and `overlays` from us, so the operator's
# ~/.config/nixpkgs, overlays and NIXPKGS_CONFIG cannot change the images (the runner also clears
# NIXPKGS_ALLOW_* from Nix's environment). The bundled set and test sets accept and ignore them.
{ source, system, settings ? { } }:
let
  dir = import ./source-dir.nix source;
  config = { allowUnfree = settings.allowUnfree or false; };
in
import dir { inherit system config; overlays = [ ]; }
