# Sourced by demo-package.sh: copies static programs built outside Nix (for aarch64-linux,
# fetched or compiled by scripts/fetch-arm64.sh) to bin/. `prebuiltPrograms` holds
# name=path words, `prebuiltLinks` optional link=target words for symlinks in bin/, and
# `prebuiltDoc` an optional file for share/doc/<pname>/UPSTREAM-VERSION.
: "${prebuiltPrograms:?}"
mkdir -p "$out/bin"
for program in $prebuiltPrograms; do
  programName=${program%%=*}
  programPath=${program#*=}
  if [ "$programPath" = missing ]; then
    echo "install-prebuilt: nix/pkgs/.arm64/bin/$programName is missing: run scripts/fetch-arm64.sh" >&2
    exit 1
  fi
  # A dynamically linked program would need a libc inside the image.
  if command -v file >/dev/null && file -L "$programPath" | grep -q 'dynamically linked'; then
    echo "install-prebuilt: $programPath is not static" >&2
    exit 1
  fi
  cp "$programPath" "$out/bin/$programName"
  chmod 0555 "$out/bin/$programName"
done
for link in ${prebuiltLinks:-}; do
  ln -s "${link#*=}" "$out/bin/${link%%=*}"
done
if [ -n "${prebuiltDoc:-}" ]; then
  cp "$prebuiltDoc" "$doc/UPSTREAM-VERSION"
  chmod 0444 "$doc/UPSTREAM-VERSION"
fi
