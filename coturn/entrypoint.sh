#!/bin/sh
# Production entrypoint for Dockerfile.coturn. Everything host-specific comes from the environment:
#   TURN_SECRET       (required) the same value as the worker's TURN_SECRET
#   TURN_REALM        realm, e.g. turn.example.com (default: cromulent)
#   TURN_EXTERNAL_IP  the public IP, or "public/private" behind 1:1 NAT (cloud VMs)
#   TURN_MIN_PORT / TURN_MAX_PORT  relay port range (default 49160-49200; publish the same)
#   TURN_CERT / TURN_PKEY  TLS certificate and key for turns: on 5349
#                     (default /etc/coturn/certs/fullchain.pem and privkey.pem, if present)
set -eu

if [ -z "${TURN_SECRET:-}" ]; then
  echo "cromulent-turn: TURN_SECRET is not set; refusing to start an open or unusable TURN server" >&2
  exit 64
fi

set -- -c /etc/coturn/turnserver.conf \
  --static-auth-secret="$TURN_SECRET" \
  --realm="${TURN_REALM:-cromulent}" \
  --min-port="${TURN_MIN_PORT:-49160}" \
  --max-port="${TURN_MAX_PORT:-49200}" "$@"

if [ -n "${TURN_EXTERNAL_IP:-}" ]; then
  set -- "$@" --external-ip="$TURN_EXTERNAL_IP"
fi

cert="${TURN_CERT:-/etc/coturn/certs/fullchain.pem}"
pkey="${TURN_PKEY:-/etc/coturn/certs/privkey.pem}"
if [ -r "$cert" ] && [ -r "$pkey" ]; then
  set -- "$@" --cert="$cert" --pkey="$pkey"
else
  echo "cromulent-turn: no certificate at $cert; turns: (TLS on 5349) is off" >&2
  set -- "$@" --no-tls --no-dtls
fi

exec turnserver "$@"
