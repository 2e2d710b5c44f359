#!/usr/bin/env bash
# The dashboard's browser tests, screenshots and benchmark drive Debian's Chromium (no browser download): installs it
# when missing. Idempotent and quiet when it is there.
set -uo pipefail
if [ -n "${CANOPY_CHROMIUM:-}" ] && [ -x "${CANOPY_CHROMIUM}" ]; then exit 0; fi
for candidate in chromium chromium-browser; do
  if command -v "$candidate" >/dev/null 2>&1; then exit 0; fi
done
echo "Installing Chromium for the dashboard's browser tests (apt-get install chromium)..."
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else SUDO=missing; fi
if [ "$SUDO" != missing ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  if $SUDO apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 ||
    { $SUDO apt-get update >/dev/null 2>&1 && $SUDO apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; }; then
    command -v chromium >/dev/null 2>&1 && exit 0
  fi
fi
cat >&2 <<'MSG'
Could not install Chromium, which the dashboard's browser tests need.
Install Debian's package yourself, as root:   apt-get update && apt-get install -y chromium
or point CANOPY_CHROMIUM at a Chromium or Chrome binary you already have, then run the tests again.
MSG
exit 1
