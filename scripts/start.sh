#!/usr/bin/env bash
# Quick start: install what is missing, then serve the registry on the embedded default
# (filesystem storage under ./var/storage, the bundled offline package set in nix/pkgs).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
exec pnpm --silent nixery serve "$@"
