# The top package of the real-files image: references every member (listed in a file).
set -euf
PATH=/usr/bin:/bin
export PATH
mkdir -p "$out/nix-support"
cp "$membersPath" "$out/nix-support/runtime-dependencies"
