# Copies host files or folders (one a line in $sourcesPath) into $out, keeping symlinks as links.
set -euf
PATH=/usr/bin:/bin
export PATH
mkdir -p "$out"
# The list has no final newline: the last line is read too.
while IFS= read -r source || [ -n "$source" ]; do
  [ -n "$source" ] || continue
  if [ -d "$source" ] && [ ! -L "$source" ]; then
    cp -a "$source/." "$out/"
  else
    cp -a "$source" "$out/"
  fi
done <"$sourcesPath"
# Only regular files, directories and symlinks: a layer refuses anything else.
find "$out" ! -type f ! -type d ! -type l -delete
chmod -R u+w "$out"
