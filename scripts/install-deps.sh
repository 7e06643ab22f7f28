#!/usr/bin/env bash
# Installs the Debian packages the fleet needs to build, run and test (skipped when all are present).
set -euo pipefail
PACKAGES=(redis-server redis-tools postgresql libhiredis-dev libpq-dev libssl-dev libcurl4-openssl-dev)
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The local S3 of the tests (and of scripts/run-fleet.sh): moto_server from PyPI.
if ! command -v moto_server >/dev/null 2>&1 && [ ! -x "$HOME/.cache/joycity/moto/bin/moto_server" ]; then
  if ! command -v python3 >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
  fi
  echo "installing moto[server] from PyPI" >&2
  if ! python3 -m pip install --quiet 'moto[server]' 2>/dev/null; then
    # Debian's own python refuses system-wide pip installs: use a private virtualenv.
    python3 -m venv "$HOME/.cache/joycity/moto"
    "$HOME/.cache/joycity/moto/bin/pip" install --quiet 'moto[server]'
  fi
fi
