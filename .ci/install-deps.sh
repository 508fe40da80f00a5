#!/usr/bin/env bash
# Installs the system packages the test suite uses on Debian 12, as root. Idempotent.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

need=()
for pkg in "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
else
  echo "system packages present"
fi
