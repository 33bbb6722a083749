# Finds requested package names in a package set. Names are data (decoded from JSON), never code.
#
# A name is split on dots into nested attributes (python3packages.requests). At each level a
# component matches, in order of preference: the attribute of exactly that name; an attribute
# equal ignoring case (registry names are lowercase: haskellpackages -> haskellPackages; when
# several differ only in case, the first in Nix's sorted order wins); and, for components that
# start with a digit, the same with a "_" prefix (1password -> _1password).
#
# Each name is resolved on its own, so one failing name cannot hide the others' fate:
#   { status = "found"; name; attr; drv; }
#   { status = "unknown"; name; }                      nothing of that name, or not a derivation
#   { status = "failed"; name; attr; stage; }          forcing it threw (builtins.tryEval caught it)
# stage "attribute": reading the attribute threw (nixpkgs' removed and renamed aliases do);
# stage "derivation": its drvPath or output path threw (nixpkgs' meta checks: unfree, broken,
# insecure; or an assert). tryEval gives no message, so the runner asks again for failed names
# with `strict = true`, where nothing is caught and Nix prints the error. Errors tryEval cannot
# catch (abort, a missing file) fail the whole evaluation.
{ strict ? false }:
let
  strings = import ./strings.nix;
  attempt = if strict then (value: { success = true; inherit value; }) else builtins.tryEval;

  # Lowercased name -> real name for one attribute set; listToAttrs keeps the first of equal names.
  caseMap = set: builtins.listToAttrs (map (name: { name = strings.toLower name; value = name; }) (builtins.attrNames set));

  findAttr =
    set: lowered: component:
    let
      candidates = [ component ] ++ (if strings.startsWithDigit component then [ "_${component}" ] else [ ]);
      lookup =
        candidate:
        if builtins.hasAttr candidate set then
          candidate
        else
          let
            key = strings.toLower candidate;
          in
          if builtins.hasAttr key lowered then lowered.${key} else null;
      found = builtins.filter (name: name != null) (map lookup candidates);
    in
    if found == [ ] then null else builtins.head found;

  isDerivation = value: builtins.isAttrs value && (value.type or null) == "derivation";

  # Walks the components: { status = "found"; attrPath; value; } | { status = "unknown"; }
  # | { status = "failed"; attrPath; }. `lowered` is the case map of `set`, built at most once.
  walk =
    set: lowered: components: prefix:
    if components == [ ] then
      { status = "found"; attrPath = prefix; value = set; }
    else if !(builtins.isAttrs set) then
      { status = "unknown"; }
    else
      let
        name = findAttr set lowered (builtins.head components);
        attrPath = prefix ++ [ name ];
        forced = attempt set.${name};
        next = forced.value;
      in
      if name == null then
        { status = "unknown"; }
      else if !forced.success then
        { status = "failed"; inherit attrPath; }
      else
        walk next (if builtins.isAttrs next then caseMap next else { }) (builtins.tail components) attrPath;
in
pkgs: names:
let
  topLowered = caseMap pkgs;
  # The plan forces these; checking them here turns a meta refusal into a "failed" result.
  forcesCleanly = drv: (attempt (builtins.seq drv.drvPath drv.outPath)).success;
  resolveOne =
    name:
    let
      found = walk pkgs topLowered (strings.splitDots name) [ ];
      attr = builtins.concatStringsSep "." found.attrPath;
    in
    if found.status == "failed" then
      { inherit name attr; status = "failed"; stage = "attribute"; }
    else if found.status == "unknown" || !(isDerivation found.value) then
      { inherit name; status = "unknown"; }
    else if !(forcesCleanly found.value) then
      { inherit name attr; status = "failed"; stage = "derivation"; }
    else
      { inherit name attr; status = "found"; drv = found.value; };
in
map resolveOne names
