#!/usr/bin/env bash
# Fetches the static arm64 programs the bundled package set's aarch64-linux stand-ins copy
# (see nix/README.md, "aarch64-linux"), into nix/pkgs/.arm64/ (git ignores it):
#   bin/busybox          Debian's busybox-static:arm64
#   bin/busybox.version  the Debian version it came from
#   bin/hello            nix/pkgs/src/hello.c, compiled static for aarch64 with Debian's cross gcc
#   test/qemu-aarch64-static  Debian's user-mode emulator, so tests can run these programs
#                             (directly, without registering it in binfmt_misc)
# Uses apt's own tools with a private apt folder, so the machine's apt architectures, sources
# and package state stay as they are; nothing is installed. Idempotent: a second run downloads
# nothing, and hello is recompiled only when hello.c or its version changes.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "fetch-arm64: $*" >&2; }
fail() { say "$*"; exit 1; }

case "$(dpkg --print-architecture 2>/dev/null || echo unknown)" in
  amd64) ;;
  arm64) say "this machine is arm64: the package set builds aarch64-linux natively, nothing to fetch"; exit 0 ;;
  *) say "only amd64 build machines get the aarch64-linux stand-ins (this is $(uname -m)); skipping"; exit 0 ;;
esac

dir=nix/pkgs/.arm64
apt_dir=$dir/apt
debs=$dir/debs
mkdir -p "$apt_dir" "$debs" "$dir/bin"
apt_dir=$(realpath "$apt_dir")
# amd64 for the cross compiler, arm64 for busybox.
echo 'deb [arch=amd64,arm64] http://deb.debian.org/debian bookworm main' >"$apt_dir/sources.list"
apt_options=(
  -o APT::Architecture=amd64 -o APT::Architectures::=amd64 -o APT::Architectures::=arm64
  -o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent
  -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" -o Dir::State::Status=/dev/null
)
# apt drops to the _apt user for downloads, which cannot write into root's folders.
[ "$(id -u)" = 0 ] && apt_options+=(-o APT::Sandbox::User=root)

busybox_packages=(busybox-static:arm64)
cross_packages=(
  gcc-12-aarch64-linux-gnu:amd64 cpp-12-aarch64-linux-gnu:amd64 binutils-aarch64-linux-gnu:amd64
  libgcc-12-dev-arm64-cross libc6-dev-arm64-cross libc6-arm64-cross linux-libc-dev-arm64-cross
)

# The package lists (~36 MB) are fetched only when something is downloaded, and then removed.
lists_ready=0
apt_download() {
  local into=$1
  shift
  if [ "$lists_ready" = 0 ]; then
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
    trap 'rm -rf "$apt_dir/lists" "$apt_dir/cache"' EXIT
    apt-get "${apt_options[@]}" -qq update >&2 ||
      fail "apt-get update of the private lists failed (is http://deb.debian.org reachable?)"
    lists_ready=1
  fi
  say "downloading from deb.debian.org: $*"
  (cd "$into" && apt-get "${apt_options[@]}" -qq download "$@" >&2) ||
    fail "the download of $* was refused or failed (see apt's message above)"
}

have_deb() { compgen -G "$debs/${1%%:*}_*.deb" >/dev/null; }

missing=()
for p in "${busybox_packages[@]}" "${cross_packages[@]}"; do have_deb "$p" || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  apt_download "$debs" "${missing[@]}"
  for p in "${missing[@]}"; do have_deb "$p" || fail "apt-get download left no .deb for $p"; done
fi

is_aarch64_static() { file -L "$1" | grep -q 'ARM aarch64.*statically linked'; }

busybox_deb=$(compgen -G "$debs/busybox-static_*.deb" | head -n 1)
if [ ! -f "$dir/bin/busybox" ] || [ "$busybox_deb" -nt "$dir/bin/busybox" ]; then
  unpacked=$(mktemp -d)
  dpkg -x "$busybox_deb" "$unpacked"
  is_aarch64_static "$unpacked/bin/busybox" || fail "$busybox_deb holds no static aarch64 busybox"
  install -m 0555 "$unpacked/bin/busybox" "$dir/bin/busybox"
  echo "busybox-static $(dpkg-deb -f "$busybox_deb" Version) (Debian bookworm, arm64)" >"$dir/bin/busybox.version"
  rm -rf "$unpacked"
  say "busybox: $(cat "$dir/bin/busybox.version")"
fi

# hello is compiled from the set's own source and version, so both systems print the same.
hello_source=nix/pkgs/src/hello.c
hello_version=$(NIX_CONFIG='substituters =' nix-instantiate --eval --json \
  -E '(import ./nix/pkgs { system = "x86_64-linux"; }).hello.version' | tr -d '"')
hello_stamp="$(sha256sum "$hello_source" | cut -d' ' -f1) $hello_version"
if [ ! -f "$dir/bin/hello" ] || [ "$(cat "$dir/bin/hello.stamp" 2>/dev/null)" != "$hello_stamp" ]; then
  # The cross toolchain is unpacked only for this; the .debs stay cached.
  toolchain=$(mktemp -d)
  for p in "${cross_packages[@]}"; do dpkg -x "$(compgen -G "$debs/${p%%:*}_*.deb" | head -n 1)" "$toolchain"; done
  # gcc finds its own parts relative to itself; binutils' private libraries need the path.
  export LD_LIBRARY_PATH=$toolchain/usr/lib/x86_64-linux-gnu
  "$toolchain/usr/bin/aarch64-linux-gnu-gcc-12" -static -O2 -DHELLO_VERSION="\"$hello_version\"" \
    -o "$dir/bin/hello.new" "$hello_source" || fail "the aarch64 cross compiler could not build $hello_source"
  "$toolchain/usr/bin/aarch64-linux-gnu-strip" "$dir/bin/hello.new"
  is_aarch64_static "$dir/bin/hello.new" || fail "the cross-compiled hello is not a static aarch64 program"
  chmod 0555 "$dir/bin/hello.new"
  mv "$dir/bin/hello.new" "$dir/bin/hello"
  rm -rf "$toolchain"
  echo "$hello_stamp" >"$dir/bin/hello.stamp"
  say "hello $hello_version: compiled for aarch64"
fi
# Only the one emulator of qemu-user-static (a 60 MB package) is kept.
if [ ! -x "$dir/test/qemu-aarch64-static" ]; then
  qemu_deb=$(mktemp -d)
  apt_download "$qemu_deb" qemu-user-static:amd64
  mkdir -p "$dir/test"
  dpkg-deb --fsys-tarfile "$qemu_deb"/qemu-user-static_*.deb | tar -x -O ./usr/bin/qemu-aarch64-static >"$dir/test/qemu-aarch64-static.new"
  chmod 0555 "$dir/test/qemu-aarch64-static.new"
  mv "$dir/test/qemu-aarch64-static.new" "$dir/test/qemu-aarch64-static"
  rm -rf "$qemu_deb"
  say "qemu-aarch64-static: fetched for the tests"
fi
say "ready in $dir"
