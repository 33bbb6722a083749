# Sourced by demo-package.sh: GNU Hello's stand-in, a static C program.
: "${helloSource:?}"
mkdir -p "$out/bin"
gcc -static -O2 -o "$out/bin/hello" -DHELLO_VERSION="\"$version\"" "$helloSource"
strip "$out/bin/hello"
