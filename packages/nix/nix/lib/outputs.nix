# Which output of a package goes into an image: its default output (the one `nix-build -A` gives,
# as in Nixery), or the one selected by name (`openssl.dev`, `htop.man`: then `outputName` is
# that output). meta.outputsToInstall is ignored on purpose: it would add `man` outputs.
drv: [ (drv.outputName or "out") ]
