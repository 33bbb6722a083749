# String helpers built from builtins alone (no nixpkgs lib is available for the bundled set).
let
  upper = [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ];
  lower = [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ];
in
{
  # ASCII lowercase; builtins has no toLower.
  toLower = builtins.replaceStrings upper lower;

  # "a.b.c" -> [ "a" "b" "c" ]; empty components are kept so "a..b" fails to resolve.
  splitDots = s: builtins.filter builtins.isString (builtins.split "\\." s);

  startsWithDigit = s: builtins.match "[0-9].*" s != null;
}
