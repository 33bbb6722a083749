# Shared libraries: the nodes that many packages reference (glibc almost everywhere).
{ mkDemo, pkgs, MiB, ... }:
let
  inherit (pkgs) glibc;
in
{
  glibc = mkDemo {
    pname = "glibc";
    version = "2.39";
    description = "the GNU C library";
    libraries = [ "libc.so.6" "libm.so.6" "libpthread.so.0" "libdl.so.2" "librt.so.1" ];
    dataBytes = 4 * MiB;
    dataPath = "lib/gconv/gconv-modules.data";
    docBytes = 512 * 1024;
  };

  # libstdc++ and libgcc_s, referenced by C++ and Rust programs.
  gccLib = mkDemo {
    pname = "gcc";
    version = "13.2.0-lib";
    description = "GCC's runtime libraries (libstdc++, libgcc_s)";
    deps = [ glibc ];
    libraries = [ "libstdc++.so.6" "libgcc_s.so.1" ];
    dataBytes = 3 * MiB;
  };

  zlib = mkDemo {
    pname = "zlib";
    version = "1.3.1";
    description = "lossless data compression library";
    deps = [ glibc ];
    libraries = [ "libz.so.1" ];
    dataBytes = 100 * 1024;
  };

  bzip2 = mkDemo {
    pname = "bzip2";
    version = "1.0.8";
    description = "block-sorting file compressor library";
    deps = [ glibc ];
    libraries = [ "libbz2.so.1" ];
    dataBytes = 80 * 1024;
  };

  xz = mkDemo {
    pname = "xz";
    version = "5.4.6";
    description = "LZMA compression library";
    deps = [ glibc ];
    libraries = [ "liblzma.so.5" ];
    dataBytes = 200 * 1024;
  };

  openssl = mkDemo {
    pname = "openssl";
    version = "3.0.13";
    description = "cryptography and TLS library";
    deps = [ glibc ];
    libraries = [ "libssl.so.3" "libcrypto.so.3" ];
    dataBytes = 2 * MiB;
    docBytes = 64 * 1024;
  };

  ncurses = mkDemo {
    pname = "ncurses";
    version = "6.4";
    description = "terminal handling library";
    deps = [ glibc ];
    libraries = [ "libncursesw.so.6" "libtinfo.so.6" ];
    dataBytes = MiB;
    dataPath = "share/terminfo/terminfo.db";
  };

  readline = mkDemo {
    pname = "readline";
    version = "8.2p10";
    description = "line editing library";
    deps = [ pkgs.ncurses glibc ];
    libraries = [ "libreadline.so.8" "libhistory.so.8" ];
    dataBytes = 300 * 1024;
  };

  pcre2 = mkDemo {
    pname = "pcre2";
    version = "10.43";
    description = "Perl-compatible regular expressions";
    deps = [ glibc ];
    libraries = [ "libpcre2-8.so.0" ];
    dataBytes = 500 * 1024;
  };

  expat = mkDemo {
    pname = "expat";
    version = "2.6.2";
    description = "XML parser library";
    deps = [ glibc ];
    libraries = [ "libexpat.so.1" ];
    dataBytes = 200 * 1024;
  };

  libffi = mkDemo {
    pname = "libffi";
    version = "3.4.6";
    description = "foreign function call library";
    deps = [ glibc ];
    libraries = [ "libffi.so.8" ];
    dataBytes = 50 * 1024;
  };

  gmp = mkDemo {
    pname = "gmp";
    version = "6.3.0";
    description = "arbitrary precision arithmetic library";
    deps = [ glibc ];
    libraries = [ "libgmp.so.10" ];
    dataBytes = 600 * 1024;
  };

  attr = mkDemo {
    pname = "attr";
    version = "2.5.2";
    description = "extended attributes library";
    deps = [ glibc ];
    libraries = [ "libattr.so.1" ];
    dataBytes = 30 * 1024;
  };

  acl = mkDemo {
    pname = "acl";
    version = "2.3.2";
    description = "access control list library";
    deps = [ pkgs.attr glibc ];
    libraries = [ "libacl.so.1" ];
    dataBytes = 50 * 1024;
  };

  nghttp2 = mkDemo {
    pname = "nghttp2";
    version = "1.61.0";
    description = "HTTP/2 library";
    deps = [ glibc ];
    libraries = [ "libnghttp2.so.14" ];
    dataBytes = 200 * 1024;
  };

  libunistring = mkDemo {
    pname = "libunistring";
    version = "1.1";
    description = "Unicode string library";
    deps = [ glibc ];
    libraries = [ "libunistring.so.5" ];
    dataBytes = 1536 * 1024;
  };

  libidn2 = mkDemo {
    pname = "libidn2";
    version = "2.3.7";
    description = "internationalized domain names library";
    deps = [ pkgs.libunistring glibc ];
    libraries = [ "libidn2.so.0" ];
    dataBytes = 200 * 1024;
  };

  icu = mkDemo {
    pname = "icu4c";
    version = "74.2";
    description = "Unicode and globalization library";
    deps = [ pkgs.gccLib glibc ];
    libraries = [ "libicuuc.so.74" "libicui18n.so.74" ];
    dataBytes = 8 * MiB;
    dataPath = "lib/libicudata.so.74";
  };

  libuv = mkDemo {
    pname = "libuv";
    version = "1.48.0";
    description = "asynchronous I/O library";
    deps = [ glibc ];
    libraries = [ "libuv.so.1" ];
    dataBytes = 200 * 1024;
  };

  brotli = mkDemo {
    pname = "brotli";
    version = "1.1.0";
    description = "brotli compression library";
    deps = [ glibc ];
    libraries = [ "libbrotlienc.so.1" "libbrotlidec.so.1" ];
    dataBytes = 600 * 1024;
  };

  oniguruma = mkDemo {
    pname = "oniguruma";
    version = "6.9.9";
    description = "regular expressions library";
    deps = [ glibc ];
    libraries = [ "libonig.so.5" ];
    dataBytes = 500 * 1024;
  };

  libevent = mkDemo {
    pname = "libevent";
    version = "2.1.12";
    description = "event notification library";
    deps = [ pkgs.openssl glibc ];
    libraries = [ "libevent-2.1.so.7" ];
    dataBytes = 400 * 1024;
  };

  openblas = mkDemo {
    pname = "openblas";
    version = "0.3.27";
    description = "optimized BLAS library";
    deps = [ pkgs.gccLib glibc ];
    libraries = [ "libopenblas.so.0" ];
    dataBytes = 10 * MiB;
    dataPath = "lib/libopenblas.kernels";
  };
}
