# The base of every image: the shell, coreutils, CA certificates, service names, and
# GNU tools that really run (busybox applets), plus the static `hello`.
{ mkDemo, pkgs, ... }:
let
  inherit (pkgs) busybox glibc;
  bashVersion = "5.2.26";
  mkBash =
    { pname, deps }:
    mkDemo {
      inherit pname deps busybox;
      version = "5.2p26";
      description = "the Bourne Again SHell, played by BusyBox ash";
      installScript = ./builders/install-bash.sh;
      extraEnv = {
        inherit bashVersion;
        wrapperSource = ./src/bash-wrapper.c;
      };
    };
  # GNU packages whose programs busybox provides for real.
  mkApplets =
    { pname, version, description, applets, deps ? [ glibc ] }:
    mkDemo { inherit pname version description applets busybox deps; };
in
{
  busybox = mkDemo {
    pname = "busybox";
    version = "1.35.0";
    description = "Debian's static BusyBox, copied from the build host";
    installScript = ./builders/install-busybox.sh;
  };

  # The interpreter of every stand-in script (as bash is in nixpkgs).
  bash = mkBash {
    pname = "bash";
    deps = [ glibc ];
  };

  bashInteractive = mkBash {
    pname = "bash-interactive";
    deps = [ pkgs.readline pkgs.ncurses glibc ];
  };

  coreutils = mkApplets {
    pname = "coreutils";
    version = "9.5";
    description = "GNU core utilities, played by BusyBox applets";
    deps = [ pkgs.acl pkgs.attr pkgs.gmp glibc ];
    applets = import ./coreutils-applets.nix;
  };

  gnused = mkApplets {
    pname = "gnused";
    version = "4.9";
    description = "GNU sed, played by BusyBox";
    applets = [ "sed" ];
  };

  gnugrep = mkApplets {
    pname = "gnugrep";
    version = "3.11";
    description = "GNU grep, played by BusyBox";
    deps = [ pkgs.pcre2 glibc ];
    applets = [ "grep" "egrep" "fgrep" ];
  };

  findutils = mkApplets {
    pname = "findutils";
    version = "4.9.0";
    description = "GNU find and xargs, played by BusyBox";
    applets = [ "find" "xargs" ];
  };

  gawk = mkApplets {
    pname = "gawk";
    version = "5.2.2";
    description = "GNU awk, played by BusyBox";
    applets = [ "awk" ];
  };

  gnutar = mkApplets {
    pname = "gnutar";
    version = "1.35";
    description = "GNU tar, played by BusyBox";
    deps = [ pkgs.acl glibc ];
    applets = [ "tar" ];
  };

  gzip = mkApplets {
    pname = "gzip";
    version = "1.13";
    description = "GNU zip, played by BusyBox";
    applets = [ "gzip" "gunzip" "zcat" ];
  };

  diffutils = mkApplets {
    pname = "diffutils";
    version = "3.10";
    description = "GNU diff and cmp, played by BusyBox";
    applets = [ "diff" "cmp" ];
  };

  which = mkApplets {
    pname = "which";
    version = "2.21";
    description = "GNU which, played by BusyBox";
    applets = [ "which" ];
  };

  less = mkApplets {
    pname = "less";
    version = "643";
    description = "the less pager, played by BusyBox";
    deps = [ pkgs.ncurses pkgs.pcre2 glibc ];
    applets = [ "less" ];
  };

  # Static, so it runs in an image that holds nothing else.
  hello = mkDemo {
    pname = "hello";
    version = "2.12.1";
    description = "GNU Hello, a static C program printing \"Hello, world!\"";
    installScript = ./builders/install-hello.sh;
    extraEnv.helloSource = ./src/hello.c;
  };

  cacert = mkDemo {
    pname = "nss-cacert";
    version = "3.98";
    description = "CA certificate bundle (the build host's bundle when it has one)";
    installScript = ./builders/install-cacert.sh;
  };

  iana-etc = mkDemo {
    pname = "iana-etc";
    version = "20240318";
    description = "service and protocol name tables, etc/services and etc/protocols (the build host's netbase files when present)";
    installScript = ./builders/install-iana-etc.sh;
  };
}
