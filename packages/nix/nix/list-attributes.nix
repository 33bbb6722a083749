# A package set's derivations as attribute paths (`nixery popularity --all`):
#   nix-instantiate --eval --strict --json list-attributes.nix --argstr path <dir> --argstr system <s>
# Every top-level attribute that is a derivation, and the derivations one level inside other sets
# (python3Packages.requests). Attributes that fail to evaluate are skipped. The folder arrives as
# a string argument and the names leave as JSON: nothing is spliced into Nix code.
{ path, system }:
let
  pkgs = import (/. + path) { inherit system; };
  isDerivation = v: builtins.isAttrs v && (v.type or null) == "derivation";
  evaluated = set: name:
    let r = builtins.tryEval (let v = set.${name}; in builtins.seq (isDerivation v) v);
    in if r.success then r.value else null;
  inside = set: prefix:
    builtins.concatMap (name: if isDerivation (evaluated set name) then [ (prefix ++ [ name ]) ] else [ ])
      (builtins.attrNames set);
  entry = name:
    let v = evaluated pkgs name;
    in if isDerivation v then [ [ name ] ]
       else if builtins.isAttrs v then inside v [ name ]
       else [ ];
in
builtins.concatMap entry (builtins.attrNames pkgs)
