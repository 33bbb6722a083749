# Common builder of the demo package set (see nix/pkgs/lib.nix for the attributes).
# Runs under the host's /bin/sh with the Nix sandbox off; the output must not need
# anything from the host at run time.
set -euf # -f: no globbing, names like "[" are plain words
PATH=/usr/bin:/bin
export PATH

: "${out:?}" "${name:?}" "${pname:?}" "${version:?}" "${description:?}"
shell=${shell:-}
busybox=${busybox:-}
installScript=${installScript:-}

doc="$out/share/doc/$pname"
mkdir -p "$doc"
{
  printf '%s: %s\n' "$name" "$description"
  printf 'This is a demo build: a stand-in made for the offline demo package set of the\n'
  printf 'nixery rebuild. It is not the real %s and does not do what %s does.\n' "$pname" "$pname"
} >"$doc/DEMO-BUILD"

if [ -n "${runtimeDeps:-}" ]; then
  mkdir -p "$out/nix-support"
  for dep in $runtimeDeps; do
    printf '%s\n' "$dep"
  done >"$out/nix-support/runtime-dependencies"
fi

if [ -n "${programs:-}" ]; then
  [ -n "$shell" ] || { echo "demo-package: programs need a shell" >&2; exit 1; }
  mkdir -p "$out/bin"
  for program in $programs; do
    # The script prints its own name and says it is a demo build.
    cat >"$out/bin/$program" <<SCRIPT
#!$shell/bin/bash
# $program from $name: demo build (a stand-in, not the real program).
case "\${1-}" in
  --version | -version | -V | version)
    echo "$program ($pname) $version (demo build)" ;;
  --help | -h | help)
    echo "usage: $program [arguments]"
    echo "demo build of $pname $version: a stand-in that only prints messages." ;;
  *)
    echo "demo build of $pname $version: $program is a stand-in and does nothing." ;;
esac
SCRIPT
    chmod 0555 "$out/bin/$program"
  done
fi

if [ -n "${applets:-}" ]; then
  [ -n "$busybox" ] || { echo "demo-package: applets need busybox" >&2; exit 1; }
  mkdir -p "$out/bin"
  for applet in $applets; do
    ln -s "$busybox/bin/busybox" "$out/bin/$applet"
  done
fi

if [ -n "${libraries:-}" ]; then
  mkdir -p "$out/lib"
  for library in $libraries; do
    printf 'demo build of %s: stand-in for %s (not a real shared object)\n' "$name" "$library" \
      >"$out/lib/$library"
  done
fi

if [ "${dataBytes:-0}" -gt 0 ]; then
  : "${dataKey:?}" "${dataPath:?}"
  mkdir -p "$(dirname "$out/$dataPath")"
  # AES-CTR over zeros with a fixed key and IV: deterministic and incompressible.
  head -c "$dataBytes" /dev/zero |
    openssl enc -aes-128-ctr -K "$dataKey" -iv 00000000000000000000000000000000 -nosalt \
      >"$out/$dataPath"
fi

if [ "${docBytes:-0}" -gt 0 ]; then
  # Compressible text, cut to exactly docBytes.
  awk -v name="$name" -v bytes="$docBytes" 'BEGIN {
    total = 0
    for (i = 1; total < bytes; i++) {
      line = sprintf("%s manual, section %d: this demo build documents nothing in particular.\n", name, i)
      if (total + length(line) > bytes) line = substr(line, 1, bytes - total)
      printf "%s", line
      total += length(line)
    }
  }' >"$doc/manual.txt"
fi

if [ -n "$installScript" ]; then
  . "$installScript"
fi
