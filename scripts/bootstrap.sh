#!/usr/bin/env bash
# Installs what noise2image needs, once: Debian packages (as root), a virtual environment in .venv,
# and the pinned Python packages of requirements.lock. A second run finds its stamp and installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(libcairo2-dev libpango1.0-dev pkg-config ffmpeg espeak-ng chromium)  # chromium: the web page's tests
PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP="$VENV/.installed"
want=$(cat requirements.lock pyproject.toml scripts/bootstrap.sh | sha256sum | cut -d' ' -f1)

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "noise2image: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "noise2image needs these Debian packages first. Run:"
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "noise2image: creating the virtual environment $VENV"
  "$PYTHON" -m venv "$VENV"
fi
echo "noise2image: installing pinned Python packages (requirements.lock)"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.lock
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
echo "$want" > "$STAMP"
