#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine with Node 20 and npm, idempotently:
# pnpm, Nix (Debian's nix-bin) and the host tools the bundled package set is built from; with
# --test-clients also the real registry clients the end-to-end tests drive (and an SSH server for
# the remote-builder tests, its system service unused; and Chromium, for the explorer's browser tests).
set -euo pipefail
cd "$(dirname "$0")/.."

want_clients=0
[ "${1:-}" = "--test-clients" ] && want_clients=1

pnpm_version=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$pnpm_version" ]; then
  echo "bootstrap: installing pnpm $pnpm_version" >&2
  npm install --global --silent "pnpm@$pnpm_version" >&2
fi

# Debian packages: Nix, the static busybox and CA bundle the demo package set copies, a static libc.
apt_packages=(nix-bin busybox-static ca-certificates openssl netbase libc6-dev gcc file git)
if [ "$want_clients" = 1 ]; then
  apt_packages+=(skopeo podman runc containerd docker.io umoci pigz uidmap time openssh-server chromium)
fi
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}" >&2
  if [ "$(id -u)" != 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq >&2
  # With recommended packages, as the clients were verified (podman's helpers come that way).
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
fi

# The static arm64 programs behind the bundled set's aarch64-linux stand-ins (cached). Without
# them only the aarch64-linux set fails (its tests say why), so the rest can still be set up.
./scripts/fetch-arm64.sh ||
  echo "bootstrap: warning: scripts/fetch-arm64.sh failed; the aarch64-linux stand-ins cannot be built" >&2

echo "bootstrap: installing npm dependencies" >&2
pnpm install --frozen-lockfile --reporter=silent >&2
