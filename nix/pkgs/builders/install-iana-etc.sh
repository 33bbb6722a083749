# Sourced by demo-package.sh: etc/services and etc/protocols (Debian netbase's when present).
mkdir -p "$out/etc"
if [ -r /etc/services ]; then
  cp /etc/services "$out/etc/services"
else
  printf '%s\n' '# demo build of iana-etc: a few services only' \
    'ftp		21/tcp' 'ssh		22/tcp' 'domain		53/tcp' 'domain		53/udp' \
    'http		80/tcp' 'https		443/tcp' >"$out/etc/services"
fi
if [ -r /etc/protocols ]; then
  cp /etc/protocols "$out/etc/protocols"
else
  printf '%s\n' '# demo build of iana-etc: a few protocols only' \
    'ip	0	IP' 'icmp	1	ICMP' 'tcp	6	TCP' 'udp	17	UDP' 'ipv6	41	IPv6' >"$out/etc/protocols"
fi
chmod 0444 "$out/etc/services" "$out/etc/protocols"
