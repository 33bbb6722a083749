# Helpers for the demo package set: every package is a plain `derivation` run by the
# host's /bin/sh (the Nix sandbox is off on this machine), so nothing needs nixpkgs.
{ system }:
let
  # A fixed 128-bit AES key per package name, so data files are deterministic yet differ
  # between packages (equal data would make the layer benchmarks meaningless).
  dataKeyFor = name: builtins.hashString "md5" name;

  nonNull = value: value != null;
in
{
  # mkDemo builds one stand-in package. The common builder (builders/demo-package.sh) writes:
  #   share/doc/<pname>/DEMO-BUILD          marker saying this is a demo build
  #   nix-support/runtime-dependencies      one store path per line: the runtime references
  #   bin/<program>                         stand-in scripts run by `shell`'s bin/bash
  #   bin/<applet> -> <busybox>/bin/busybox real working tools
  #   lib/<library>                         stand-in library files (text, not ELF)
  #   <dataPath>                            `dataBytes` of incompressible deterministic data
  #   share/doc/<pname>/manual.txt          `docBytes` of compressible text
  # then runs `installScript` (if any) for what is special about the package.
  mkDemo =
    {
      pname,
      version,
      description,
      deps ? [ ],
      shell ? null,
      programs ? [ ],
      busybox ? null,
      applets ? [ ],
      libraries ? [ ],
      dataBytes ? 0,
      dataPath ? "share/${pname}/data.bin",
      docBytes ? 1024,
      installScript ? null,
      extraEnv ? { },
    }:
    let
      name = "${pname}-${version}";
      # The interpreter of the scripts and the busybox behind the applets are runtime
      # references too, so they are always recorded with the other dependencies.
      runtimeDeps = builtins.filter nonNull ([ shell busybox ] ++ deps);
      drv = derivation (
        {
          inherit name system pname version;
          description = "demo build: ${description}";
          builder = "/bin/sh";
          args = [ ./builders/demo-package.sh ];
          inherit runtimeDeps programs applets libraries dataBytes dataPath docBytes;
          # null attributes are left out of the build environment by Nix.
          inherit shell busybox installScript;
          dataKey = dataKeyFor name;
          # Guard: a demo package may only reference what it declares (and itself).
          allowedReferences = runtimeDeps ++ [ "out" ];
        }
        // extraEnv
      );
    in
    drv
    // {
      meta = {
        description = "demo build: ${description}";
        demo = true;
      };
    };
}
