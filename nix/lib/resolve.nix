# Finds requested package names in a package set. Names are data (decoded from JSON), never code.
#
# A name is split on dots into nested attributes (python3packages.requests). At each level a
# component matches, in order of preference: the attribute of exactly that name; an attribute
# equal ignoring case (registry names are lowercase: haskellpackages -> haskellPackages; when
# several differ only in case, the first in Nix's sorted order wins); and, for components that
# start with a digit, the same with a "_" prefix (1password -> _1password).
let
  strings = import ./strings.nix;

  # Lowercased name -> real name for one attribute set; listToAttrs keeps the first of equal names.
  caseMap = set: builtins.listToAttrs (map (name: { name = strings.toLower name; value = name; }) (builtins.attrNames set));

  findAttr =
    set: component:
    let
      candidates = [ component ] ++ (if strings.startsWithDigit component then [ "_${component}" ] else [ ]);
      lookup =
        candidate:
        if builtins.hasAttr candidate set then
          candidate
        else
          let
            lowered = caseMap set;
            key = strings.toLower candidate;
          in
          if builtins.hasAttr key lowered then lowered.${key} else null;
      found = builtins.filter (name: name != null) (map lookup candidates);
    in
    if found == [ ] then null else builtins.head found;

  # Walks the components; returns { attrPath; value; } or null.
  walk =
    set: components: prefix:
    if components == [ ] then
      { attrPath = prefix; value = set; }
    else if !(builtins.isAttrs set) then
      null
    else
      let
        name = findAttr set (builtins.head components);
      in
      if name == null then null else walk set.${name} (builtins.tail components) (prefix ++ [ name ]);

  isDerivation = value: builtins.isAttrs value && (value.type or null) == "derivation";
in
pkgs: names:
let
  resolveOne =
    name:
    let
      found = walk pkgs (strings.splitDots name) [ ];
    in
    if found != null && isDerivation found.value then
      { inherit name; attr = builtins.concatStringsSep "." found.attrPath; drv = found.value; }
    else
      { inherit name; drv = null; };
  results = map resolveOne names;
in
{
  found = builtins.filter (r: r.drv != null) results;
  unknown = map (r: r.name) (builtins.filter (r: r.drv == null) results);
}
