# Sourced by demo-package.sh: sleeps slowSeconds before finishing (for build-timeout tests).
case "${slowSeconds:-}" in
  '' | *[!0-9]*) echo "slowDemo: slowSeconds must be a whole number, got '${slowSeconds:-}'" >&2; exit 1 ;;
esac
echo "slowDemo: sleeping for $slowSeconds seconds" >&2
sleep "$slowSeconds"
echo "slowDemo: done" >&2
