# The directory of the package set a source description names (see load-pkgs.nix).
source:
let
  # GitHub serves an archive for branches (channel names such as nixos-unstable) and commits alike.
  channelTarball = channel: builtins.fetchTarball "https://github.com/NixOS/nixpkgs/archive/${channel}.tar.gz";

  gitCheckout =
    { url, ref ? null, rev ? null, ... }:
    builtins.fetchGit (
      { inherit url; }
      // (if ref != null then { inherit ref; } else { })
      # A commit may live on any branch, not only the default one.
      // (if rev != null then { inherit rev; allRefs = true; } else { })
    );
in
if source.kind == "path" then
  /. + source.path
else if source.kind == "channel" then
  channelTarball source.channel
else if source.kind == "git" then
  gitCheckout source
else
  throw "nixery: unknown package source kind ${builtins.toJSON source.kind}"
