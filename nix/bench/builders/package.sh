# Builds one synthetic package (see nix/bench/default.nix). Host /bin/sh, sandbox off.
set -euf
PATH=/usr/bin:/bin
export PATH
: "${out:?}" "${pname:?}" "${dataKey:?}"

mkdir -p "$out/share/doc/$pname"
printf '%s %s: synthetic benchmark package, not real software\n' "$pname" "$version" >"$out/share/doc/$pname/README"

# Runtime references: store paths written into the output.
if [ -n "${runtimeDeps:-}" ]; then
  mkdir -p "$out/nix-support"
  for dep in $runtimeDeps; do printf '%s\n' "$dep"; done >"$out/nix-support/runtime-dependencies"
fi

# AES-CTR over zeros with a fixed key: deterministic, incompressible bytes.
random_bytes() { # <bytes> <iv suffix digit>
  head -c "$1" /dev/zero | openssl enc -aes-128-ctr -K "$dataKey" -iv "0000000000000000000000000000000$2" -nosalt
}

if [ "${bigBytes:-0}" -gt 0 ]; then
  mkdir -p "$out/share/$pname"
  random_bytes "$bigBytes" 1 >"$out/share/$pname/data.bin"
fi

files=${smallFiles:-0}
if [ "$files" -gt 0 ] && [ "${smallBytes:-0}" -gt 0 ]; then
  binFiles=$(((files + 1) / 2))
  textFiles=$((files - binFiles))
  each=$((smallBytes / files))
  [ "$each" -gt 0 ] || each=1
  # Incompressible half: one stream cut into equal files (lib/lib<pname>-NNNN.so).
  mkdir -p "$out/lib"
  random_bytes $((each * binFiles)) 2 | (cd "$out/lib" && split -a 4 -d -b "$each" - "lib$pname-" --additional-suffix=.so)
  # Compressible half: text in varied but repetitive lines (share/doc/<pname>/page-NNNN.txt).
  if [ "$textFiles" -gt 0 ]; then
    awk -v dir="$out/share/doc/$pname" -v n="$textFiles" -v bytes="$each" -v name="$pname-$version" 'BEGIN {
      for (f = 0; f < n; f++) {
        file = sprintf("%s/page-%04d.txt", dir, f)
        total = 0
        for (i = 1; total < bytes; i++) {
          line = sprintf("%s page %d line %d: option %d sets the %s of the %s.\n", name, f, i, (i * 7 + f) % 97, (i % 3 ? "size" : "mode"), (i % 5 ? "buffer" : "stream"))
          if (total + length(line) > bytes) line = substr(line, 1, bytes - total)
          printf "%s", line > file
          total += length(line)
        }
        close(file)
      }
    }'
  fi
fi

if [ -n "${extraScript:-}" ]; then
  eval "$extraScript"
fi
