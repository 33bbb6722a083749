# Interpreters, compilers and their package sets: the large paths of the demo set.
# nodejs has a ~40 MB closure; clang's closure passes 100 MB (Nixery's "big" threshold)
# although no single path does, while llvm's stays clearly below it.
{ mkDemo, pkgs, MiB, ... }:
let
  inherit (pkgs) bash glibc python3;
  mkTool =
    args:
    mkDemo (
      {
        shell = bash;
        docBytes = 64 * 1024;
      }
      // args
    );
  mkPythonPackage =
    { pname, version, deps ? [ ], dataBytes }:
    mkDemo {
      pname = "python3.11-${pname}";
      inherit version dataBytes;
      description = "the ${pname} Python package";
      deps = [ python3 ] ++ deps;
      dataPath = "lib/python3.11/site-packages/${pname}/package.data";
      docBytes = 8 * 1024;
    };
in
{
  perl = mkTool {
    pname = "perl";
    version = "5.38.2";
    description = "the Perl interpreter";
    deps = [ pkgs.zlib glibc ];
    programs = [ "perl" "cpan" "perldoc" ];
    dataBytes = 6 * MiB;
    dataPath = "lib/perl5/5.38.2/perl.data";
    docBytes = MiB;
  };

  python3 = mkTool {
    pname = "python3";
    version = "3.11.9";
    description = "the Python 3 interpreter";
    deps = [
      pkgs.zlib
      pkgs.bzip2
      pkgs.xz
      pkgs.openssl
      pkgs.readline
      pkgs.ncurses
      pkgs.sqlite
      pkgs.libffi
      pkgs.expat
      glibc
    ];
    programs = [ "python3" "python3.11" "pydoc3" ];
    libraries = [ "libpython3.11.so.1.0" ];
    dataBytes = 14 * MiB;
    dataPath = "lib/python3.11/stdlib.data";
    docBytes = 2 * MiB;
  };

  python3Packages = rec {
    certifi = mkPythonPackage {
      pname = "certifi";
      version = "2024.2.2";
      deps = [ pkgs.cacert ];
      dataBytes = 20 * 1024;
    };
    charset-normalizer = mkPythonPackage {
      pname = "charset-normalizer";
      version = "3.3.2";
      dataBytes = 200 * 1024;
    };
    idna = mkPythonPackage {
      pname = "idna";
      version = "3.6";
      dataBytes = 150 * 1024;
    };
    urllib3 = mkPythonPackage {
      pname = "urllib3";
      version = "2.2.1";
      dataBytes = 300 * 1024;
    };
    requests = mkPythonPackage {
      pname = "requests";
      version = "2.31.0";
      deps = [ certifi charset-normalizer idna urllib3 ];
      dataBytes = 250 * 1024;
    };
    numpy = mkPythonPackage {
      pname = "numpy";
      version = "1.26.4";
      deps = [ pkgs.openblas pkgs.gccLib glibc ];
      dataBytes = 8 * MiB;
    };
  };

  nodejs = mkTool {
    pname = "nodejs";
    version = "20.12.2";
    description = "the Node.js JavaScript runtime";
    deps = [
      pkgs.icu
      pkgs.openssl
      pkgs.zlib
      pkgs.libuv
      pkgs.brotli
      pkgs.gccLib
      glibc
    ];
    programs = [ "node" "npm" "npx" "corepack" ];
    dataBytes = 18 * MiB;
    dataPath = "lib/node_modules/npm/npm.data";
    docBytes = MiB;
  };

  haskellPackages = {
    pandoc = mkTool {
      pname = "pandoc";
      version = "3.1.11";
      description = "the universal document converter";
      deps = [ pkgs.gmp pkgs.libffi pkgs.zlib glibc ];
      programs = [ "pandoc" ];
      dataBytes = 20 * MiB;
      docBytes = 512 * 1024;
    };
    ShellCheck = mkTool {
      pname = "ShellCheck";
      version = "0.9.0";
      description = "shell script analysis tool";
      deps = [ pkgs.gmp pkgs.libffi glibc ];
      programs = [ "shellcheck" ];
      dataBytes = 6 * MiB;
    };
  };

  llvm-libs = mkDemo {
    pname = "llvm-libs";
    version = "17.0.6";
    description = "LLVM's shared libraries";
    deps = [ pkgs.zlib pkgs.ncurses pkgs.libffi pkgs.gccLib glibc ];
    libraries = [ "libLLVM-17.so" ];
    dataBytes = 76 * MiB;
    dataPath = "lib/libLLVM-17.data";
    docBytes = 256 * 1024;
  };

  llvm = mkTool {
    pname = "llvm";
    version = "17.0.6";
    description = "LLVM's command-line tools";
    deps = [ pkgs.llvm-libs glibc ];
    programs = [ "llc" "lli" "llvm-ar" "llvm-nm" "llvm-objdump" "opt" ];
    dataBytes = 3 * MiB;
  };

  clang = mkTool {
    pname = "clang";
    version = "17.0.6";
    description = "the Clang C/C++ compiler";
    deps = [ pkgs.llvm-libs pkgs.gccLib glibc ];
    programs = [ "clang" "clang++" "clang-cpp" ];
    libraries = [ "libclang-cpp.so.17" ];
    dataBytes = 18 * MiB;
    dataPath = "lib/libclang-cpp.data";
    docBytes = 512 * 1024;
  };
}
