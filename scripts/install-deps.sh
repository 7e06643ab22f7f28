#!/usr/bin/env bash
# Installs the Debian packages the fleet needs to build, run and test (skipped when all are present).
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# chromium + chromium-driver: the proxy edge's browser test (Selenium drives Debian's headless Chromium).
PACKAGES=(redis-server redis-tools postgresql libhiredis-dev libpq-dev libssl-dev libcurl4-openssl-dev zlib1g-dev chromium chromium-driver)
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

# LibreOffice (headless) makes and reads spreadsheets in the assignment tests, as a second real spreadsheet program.
if ! command -v soffice >/dev/null 2>&1; then
  echo "installing LibreOffice Calc (headless) from Debian" >&2
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libreoffice-calc-nogui >/dev/null
fi

# Python tools of the tests, from PyPI: PyJWT (checks our tokens with an independent JOSE implementation), openpyxl (makes and reads the assignment spreadsheets), Selenium (drives Chromium through the proxy edge and the web UI), axe-selenium-python (axe-core accessibility checks of the web UI),
# schemathesis (fuzzes the live API from its own OpenAPI document) and redis-py (a producer written from
# docs/wire-format.md alone). Into the same private virtualenv when the system Python refuses pip.
VENV="$HOME/.cache/joycity/moto"
PY_TOOLS=(pyjwt schemathesis 'redis>=5' openpyxl selenium axe-selenium-python)
tools_missing() {
  if [ -x "$VENV/bin/schemathesis" ]; then
    "$VENV/bin/python" -c "import jwt, redis, openpyxl, selenium, axe_selenium_python" 2>/dev/null && return 1
    return 0
  fi
  python3 -c "import jwt, redis, openpyxl, selenium, axe_selenium_python" 2>/dev/null && command -v schemathesis >/dev/null 2>&1 && return 1
  return 0
}
if tools_missing; then
  echo "installing ${PY_TOOLS[*]} from PyPI" >&2
  if [ -x "$VENV/bin/schemathesis" ] || ! python3 -m pip install --quiet "${PY_TOOLS[@]}" 2>/dev/null; then
    [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "${PY_TOOLS[@]}"
  fi
fi

# Swagger UI for /api/swagger-ui (not committed): the swagger-ui-dist files packaged on PyPI by
# drf-spectacular-sidecar, pinned, unpacked to ~/.cache/joycity/swagger-ui (API_SWAGGER_UI_DIR).
SWAGGER_UI_DIR="${API_SWAGGER_UI_DIR:-$HOME/.cache/joycity/swagger-ui}"
SWAGGER_UI_PACKAGE="drf-spectacular-sidecar==2026.10.1"
if [ ! -s "$SWAGGER_UI_DIR/swagger-ui-bundle.js" ]; then
  echo "fetching Swagger UI ($SWAGGER_UI_PACKAGE) from PyPI" >&2
  WHEELS="$(mktemp -d)"
  PIP="python3 -m pip"
  $PIP --version >/dev/null 2>&1 || PIP="$VENV/bin/pip"
  $PIP download --quiet --no-deps --dest "$WHEELS" "$SWAGGER_UI_PACKAGE"
  mkdir -p "$SWAGGER_UI_DIR"
  python3 - "$WHEELS" "$SWAGGER_UI_DIR" <<'PY'
import glob, os, sys, zipfile
wheel = glob.glob(os.path.join(sys.argv[1], "*.whl"))[0]
marker = "/swagger-ui-dist/"
with zipfile.ZipFile(wheel) as archive:
    for name in archive.namelist():
        if marker in name and not name.endswith("/") and not name.endswith(".map"):
            with open(os.path.join(sys.argv[2], name.split(marker, 1)[1]), "wb") as out:
                out.write(archive.read(name))
PY
  rm -rf "$WHEELS"
fi
