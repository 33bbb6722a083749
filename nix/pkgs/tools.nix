# Command-line programs: stand-in scripts run by `bash`, linked to the libraries a real
# build would use (git -> curl -> openssl -> glibc is the deepest chain here).
{ mkDemo, pkgs, MiB, ... }:
let
  inherit (pkgs) bash glibc;
  mkTool =
    args:
    mkDemo (
      {
        shell = bash;
        docBytes = 16 * 1024;
      }
      // args
    );
in
{
  curl = mkTool {
    pname = "curl";
    version = "8.7.1";
    description = "command-line URL transfer tool";
    deps = [ pkgs.openssl pkgs.nghttp2 pkgs.zlib pkgs.brotli pkgs.libidn2 glibc ];
    programs = [ "curl" ];
    libraries = [ "libcurl.so.4" ];
    dataBytes = 600 * 1024;
  };

  wget = mkTool {
    pname = "wget";
    version = "1.21.4";
    description = "non-interactive network downloader";
    deps = [ pkgs.openssl pkgs.zlib pkgs.pcre2 pkgs.libidn2 glibc ];
    programs = [ "wget" ];
    dataBytes = 500 * 1024;
  };

  git = mkTool {
    pname = "git";
    version = "2.44.0";
    description = "distributed version control system";
    deps = [
      pkgs.curl
      pkgs.openssl
      pkgs.zlib
      pkgs.pcre2
      pkgs.expat
      pkgs.perl
      pkgs.coreutils
      glibc
    ];
    programs = [ "git" "git-upload-pack" "git-receive-pack" "git-upload-archive" "git-shell" ];
    dataBytes = 6 * MiB;
    dataPath = "libexec/git-core/git-core.data";
    docBytes = MiB;
  };

  htop = mkTool {
    pname = "htop";
    version = "3.3.0";
    description = "interactive process viewer";
    deps = [ pkgs.ncurses glibc ];
    programs = [ "htop" ];
    dataBytes = 300 * 1024;
  };

  jq = mkTool {
    pname = "jq";
    version = "1.7.1";
    description = "command-line JSON processor";
    deps = [ pkgs.oniguruma glibc ];
    programs = [ "jq" ];
    libraries = [ "libjq.so.1" ];
    dataBytes = 400 * 1024;
  };

  vim = mkTool {
    pname = "vim";
    version = "9.1.0148";
    description = "the Vi IMproved text editor";
    deps = [ pkgs.ncurses pkgs.acl glibc ];
    programs = [ "vim" "vimdiff" "view" "xxd" ];
    dataBytes = 3 * MiB;
    dataPath = "share/vim/vim91/runtime.data";
    docBytes = 3 * MiB;
  };

  nano = mkTool {
    pname = "nano";
    version = "7.2";
    description = "a small, friendly text editor";
    deps = [ pkgs.ncurses pkgs.file glibc ];
    programs = [ "nano" "rnano" ];
    dataBytes = 400 * 1024;
    docBytes = 256 * 1024;
  };

  moreutils = mkTool {
    pname = "moreutils";
    version = "0.69";
    description = "more Unix tools (sponge, ts, chronic, ...)";
    deps = [ pkgs.perl glibc ];
    programs = [
      "chronic" "combine" "errno" "ifdata" "ifne" "isutf8" "lckdo" "mispipe" "parallel" "pee"
      "sponge" "ts" "vidir" "vipe" "zrun"
    ];
    dataBytes = 100 * 1024;
  };

  tree = mkTool {
    pname = "tree";
    version = "2.1.1";
    description = "lists directories as a tree";
    deps = [ glibc ];
    programs = [ "tree" ];
    dataBytes = 60 * 1024;
  };

  file = mkTool {
    pname = "file";
    version = "5.45";
    description = "file type guesser";
    deps = [ pkgs.zlib pkgs.bzip2 pkgs.xz glibc ];
    programs = [ "file" ];
    libraries = [ "libmagic.so.1" ];
    dataBytes = MiB;
    dataPath = "share/misc/magic.mgc";
  };

  ripgrep = mkTool {
    pname = "ripgrep";
    version = "14.1.0";
    description = "recursive regular-expression search";
    deps = [ pkgs.pcre2 pkgs.gccLib glibc ];
    programs = [ "rg" ];
    dataBytes = 4 * MiB;
  };

  tmux = mkTool {
    pname = "tmux";
    version = "3.4";
    description = "terminal multiplexer";
    deps = [ pkgs.libevent pkgs.ncurses glibc ];
    programs = [ "tmux" ];
    dataBytes = 800 * 1024;
  };

  openssh = mkTool {
    pname = "openssh";
    version = "9.7p1";
    description = "secure shell client and server";
    deps = [ pkgs.openssl pkgs.zlib glibc ];
    programs = [ "ssh" "scp" "sftp" "ssh-keygen" "sshd" ];
    dataBytes = 2 * MiB;
  };

  sqlite = mkTool {
    pname = "sqlite";
    version = "3.45.3";
    description = "embedded SQL database";
    deps = [ pkgs.zlib pkgs.readline glibc ];
    programs = [ "sqlite3" ];
    libraries = [ "libsqlite3.so.0" ];
    dataBytes = 1536 * 1024;
  };

  # Names that start with a digit get nixpkgs' `_` prefix.
  _1password = mkTool {
    pname = "1password-cli";
    version = "2.26.1";
    description = "1Password command-line tool";
    deps = [ glibc ];
    programs = [ "op" ];
    dataBytes = 2 * MiB;
  };

  _7zz = mkTool {
    pname = "7zz";
    version = "23.01";
    description = "7-Zip command-line archiver";
    deps = [ pkgs.gccLib glibc ];
    programs = [ "7zz" ];
    dataBytes = MiB;
  };
}
