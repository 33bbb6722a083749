# Sourced by demo-package.sh: a build that always fails, with a recognisable log.
echo "brokenDemo: configuring (demo build)" >&2
echo "brokenDemo: compiling broken.c" >&2
echo "brokenDemo: error: this demo build fails on purpose" >&2
exit 1
