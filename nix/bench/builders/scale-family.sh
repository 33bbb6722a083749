# One multi-output derivation of a scale<N> package: each output is a small store path with
# two small files that references glibc, as split library outputs do. Only shell builtins
# run per output: thousands of outputs must build in seconds.
set -euf
PATH=/usr/bin:/bin
export PATH
dirs=
for output in $outputs; do
  eval "dir=\$$output"
  dirs="$dirs $dir/lib $dir/share/doc"
done
# shellcheck disable=SC2086 # word splitting wanted: one mkdir for every output
mkdir -p $dirs
for output in $outputs; do
  eval "dir=\$$output"
  printf '%s\n' "$glibc" >"$dir/lib/runtime-dependencies"
  printf 'part %s output %s seed %s: synthetic benchmark path\n' "$name" "$output" "$seed" >"$dir/share/doc/README"
done
