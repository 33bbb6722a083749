# Sourced by demo-package.sh: bin/bash as a script that runs busybox's sh, for systems this
# machine cannot compile for (the static C wrapper of install-bash.sh would embed the busybox
# store path, known only here). bin/sh is busybox itself.
: "${busybox:?}" "${bashVersion:?}"
mkdir -p "$out/bin"
cat >"$out/bin/bash" <<SCRIPT
#!$busybox/bin/sh
# bin/bash of $name: demo build (BusyBox ash plays bash).
if [ "\${1-}" = --version ]; then
  echo "GNU bash, version $bashVersion (demo build: BusyBox ash from $busybox/bin/busybox)"
  exit 0
fi
exec $busybox/bin/sh "\$@"
SCRIPT
chmod 0555 "$out/bin/bash"
ln -s "$busybox/bin/busybox" "$out/bin/sh"
