# Sourced by demo-package.sh: copies the host's static busybox (Debian busybox-static).
hostBusybox=/bin/busybox
[ -x "$hostBusybox" ] || { echo "install-busybox: $hostBusybox is missing (install busybox-static)" >&2; exit 1; }
# A dynamically linked busybox would need the host's libc inside the image.
if command -v file >/dev/null && file -L "$hostBusybox" | grep -q 'dynamically linked'; then
  echo "install-busybox: $hostBusybox is not static (install busybox-static)" >&2
  exit 1
fi
mkdir -p "$out/bin"
cp "$hostBusybox" "$out/bin/busybox"
chmod 0555 "$out/bin/busybox"
ln -s busybox "$out/bin/sh"
"$out/bin/busybox" 2>&1 | head -n 1 >"$doc/UPSTREAM-VERSION" || true
