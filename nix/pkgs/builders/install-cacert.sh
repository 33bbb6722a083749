# Sourced by demo-package.sh: the CA bundle at nixpkgs' place, etc/ssl/certs/ca-bundle.crt.
mkdir -p "$out/etc/ssl/certs"
if [ -r /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt "$out/etc/ssl/certs/ca-bundle.crt"
else
  # No host bundle: one self-signed demo certificate keeps the file a valid PEM bundle.
  openssl req -x509 -newkey rsa:2048 -nodes -keyout /dev/null -days 3650 \
    -subj "/CN=nixery demo CA (demo build, trust nothing)" \
    -out "$out/etc/ssl/certs/ca-bundle.crt" 2>/dev/null
fi
chmod 0444 "$out/etc/ssl/certs/ca-bundle.crt"
