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
