#!/usr/bin/env bash
# Quick start: install what is missing, build (cached by turbo after the first time), then serve
# the registry on the embedded default (filesystem storage under ./var/storage, the bundled
# offline package set in nix/pkgs). The server runs from the compiled JavaScript: about 40 MB
# less memory than loading the TypeScript sources through tsx, as `pnpm nixery` does. Nearly
# everything a busy registry allocates dies young (requests, chunks), so a 4 MiB semi-space
# (V8's default grows to 16) keeps memory low at the same speed: 8 MiB kept 50 concurrent pulls
# about 20 MB under the default, and 4 MiB the real-files build 6-10 MB under 8 (bench/README.md).
# MALLOC_MMAP_THRESHOLD_ pins glibc's threshold for serving large allocations by mmap: by
# default it rises to the size of every large block freed, after which the layer buffers that
# worker threads allocate and free (zlib's output, 1 MiB gzip members) come from per-thread
# arenas that keep the memory; building the real-files benchmark image peaked at 328 MB RSS that
# way and at 179 MB with the threshold fixed at 128 KiB, at the same speed (bench/README.md).
# bench/src/registry-process.ts starts the server the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
pnpm --silent turbo run build --filter=@nixery/cli --output-logs=errors-only >&2
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-131072}"
exec node --max-semi-space-size=4 apps/cli/dist/main.js serve "$@"
