# The set for aarch64-linux on a build machine of another system (x86_64-linux): stand-ins
# for the base of an image, made from static arm64 programs that scripts/fetch-arm64.sh puts
# in .arm64/bin (busybox from Debian's busybox-static:arm64, hello cross-compiled from
# src/hello.c). Their builders only copy files and write scripts with the host's /bin/sh, so
# Nix builds them with `--option extra-platforms aarch64-linux` and no arm64 machine.
#
# cacert and iana-etc hold data only, so they are the build machine's derivations: the same
# store paths on both systems, hence the same layers in both images of a multi-arch tag.
# Every other package of the set is there by name but refuses to evaluate, with nixpkgs'
# "not available on the requested hostPlatform" message.
{
  mkDemo, # lib.nix's, for aarch64-linux
  full, # the whole set evaluated for aarch64-linux (names, versions, attribute layout)
  buildPkgs, # the whole set for the build machine
  buildSystem,
}:
let
  system = "aarch64-linux";
  # A fetched file as a store input, or "missing" (the build then says to run the script).
  fetched = name: let path = ./.arm64/bin + "/${name}"; in if builtins.pathExists path then path else "missing";
  fetchedDoc = name: let path = ./.arm64/bin + "/${name}"; in if builtins.pathExists path then path else null;

  prebuilt =
    { pname, version, description, programs, links ? "", doc ? null }:
    mkDemo {
      inherit pname version description;
      installScript = ./builders/install-prebuilt.sh;
      extraEnv = {
        prebuiltPrograms = builtins.concatStringsSep " " (map (program: "${program}=${fetched program}") programs);
        prebuiltLinks = links;
        prebuiltDoc = doc;
      };
    };

  mkBash =
    pname:
    mkDemo {
      inherit pname busybox;
      inherit (full.bash) version;
      description = "the Bourne Again SHell, played by BusyBox ash (bin/bash is a script)";
      installScript = ./builders/install-bash-script.sh;
      extraEnv = { inherit (full.bash) bashVersion; };
    };

  busybox = prebuilt {
    inherit (full.busybox) pname version;
    description = "Debian's static arm64 BusyBox (busybox-static:arm64, fetched by scripts/fetch-arm64.sh)";
    programs = [ "busybox" ];
    links = "sh=busybox";
    doc = fetchedDoc "busybox.version";
  };

  standIns = {
    inherit busybox;
    # Static programs need no libc, so these reference busybox only.
    bash = mkBash full.bash.pname;
    bashInteractive = mkBash full.bashInteractive.pname;
    coreutils = mkDemo {
      inherit (full.coreutils) pname version;
      inherit busybox;
      description = "GNU core utilities, played by BusyBox applets";
      applets = import ./coreutils-applets.nix;
    };
    hello = prebuilt {
      inherit (full.hello) pname version;
      description = "GNU Hello, a static C program printing \"Hello, world!\" (src/hello.c cross-compiled by scripts/fetch-arm64.sh)";
      programs = [ "hello" ];
    };
    inherit (buildPkgs) cacert iana-etc;
  };

  supported = builtins.concatStringsSep ", " (builtins.attrNames standIns);
  isDerivation = value: builtins.isAttrs value && (value.type or null) == "derivation";
  # Shaped like a derivation (name, meta) so lookups find it; building it is refused.
  unavailable =
    drv:
    let
      refusal = throw "Refusing to evaluate package '${drv.name}' in nix/pkgs because it is not available on the requested hostPlatform ${system}: the bundled demo set has ${system} stand-ins only for ${supported}";
    in
    {
      type = "derivation";
      inherit (drv) name;
      inherit system;
      outputs = [ "out" ];
      drvPath = refusal;
      outPath = refusal;
      out = refusal;
      meta = drv.meta // {
        available = false;
        platforms = [ buildSystem ];
      };
    };
  unavailableAll =
    value:
    if isDerivation value then
      unavailable value
    else if builtins.isAttrs value then
      builtins.mapAttrs (_: unavailableAll) value
    else
      value;
in
builtins.mapAttrs (name: value: standIns.${name} or (unavailableAll value)) full
