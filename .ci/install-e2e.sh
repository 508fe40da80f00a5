#!/usr/bin/env bash
# Installs what the browser end-to-end test (tests/e2e/chat.mjs) needs on a fresh Debian 12
# machine, as root, non-interactively: Debian's Chromium, Node.js + npm if missing, and the
# pinned npm dependencies (playwright-core only; it drives /usr/bin/chromium, no browser
# download). Idempotent: a second run changes nothing.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
cd "$(dirname "$0")/.."

need=()
if [ -x /usr/bin/chromium ]; then
  echo "install-e2e: chromium present ($(/usr/bin/chromium --version 2>/dev/null || echo '?'))"
else
  need+=(chromium)
fi
if command -v node >/dev/null && command -v npm >/dev/null; then
  echo "install-e2e: node $(node --version), npm $(npm --version) present"
else
  need+=(nodejs npm)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "install-e2e: apt-get update"
  apt-get update -qq
  echo "install-e2e: apt-get install -y ${need[*]}"
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

cd tests/e2e
want=$(node -p 'require("./package.json").dependencies["playwright-core"]')
have=$(node -p 'try { require("./node_modules/playwright-core/package.json").version } catch (e) { "" }')
if [ "$have" = "$want" ]; then
  echo "install-e2e: tests/e2e/node_modules has playwright-core $have"
else
  echo "install-e2e: npm ci in tests/e2e (playwright-core $want)"
  # playwright-core never downloads a browser on install; be explicit anyway.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
fi
echo "install-e2e: done"
