# The top package of scale<N>: references every member (listed in a file: see passAsFile).
set -euf
PATH=/usr/bin:/bin
export PATH
mkdir -p "$out/nix-support"
cp "$membersPath" "$out/nix-support/runtime-dependencies"
