# Sourced by demo-package.sh: bin/bash is a static wrapper running busybox's sh,
# bin/sh is busybox itself.
: "${busybox:?}" "${bashVersion:?}" "${wrapperSource:?}"
mkdir -p "$out/bin"
gcc -static -O2 -o "$out/bin/bash" \
  -DBUSYBOX_PATH="\"$busybox/bin/busybox\"" -DBASH_VERSION="\"$bashVersion\"" \
  "$wrapperSource"
strip "$out/bin/bash"
ln -s "$busybox/bin/busybox" "$out/bin/sh"
