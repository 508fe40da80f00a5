#!/usr/bin/env bash
# Installs the third-party WebSocket peers that `cargo xtask interop` runs (tests/interop/),
# on a fresh Debian 12 machine, as root, non-interactively:
#   1. a Python venv at target/interop-venv (Debian's python3-venv is installed if
#      `python3 -m venv` cannot create one) with tests/interop/requirements.txt (websockets);
#   2. Node.js + npm (Debian's nodejs and npm if missing) and `npm ci` in tests/interop (ws,
#      pinned by the committed package-lock.json).
# Idempotent: whatever is already in place at the pinned versions is left alone.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
cd "$(dirname "$0")/.."

DIR=tests/interop
# Always under the workspace root, whatever CARGO_TARGET_DIR says: xtask/src/interop.rs
# looks for it here.
VENV=target/interop-venv
# The venv records the requirements it was made from, so a changed pin reinstalls.
STAMP="$VENV/sockeye-requirements.txt"

say() { echo "install-interop: $*"; }
run() { echo "+ $*"; "$@"; }

apt_updated=no
apt_install() {
    if [ "$apt_updated" = no ]; then
        run apt-get -q update
        apt_updated=yes
    fi
    run apt-get -q install -y --no-install-recommends "$@"
}

# --- 1. Python venv with websockets -----------------------------------------------------------

if ! command -v python3 >/dev/null; then
    say "python3 is missing"
    apt_install python3 python3-venv
fi
say "python3 is $(command -v python3) ($(python3 --version 2>&1))"
# websockets 17 needs Python 3.11 or later (Debian 12 ships 3.11).
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    say "error: the websockets pin in $DIR/requirements.txt needs Python >= 3.11"
    exit 1
fi

if [ -f "$STAMP" ] && cmp -s "$STAMP" "$DIR/requirements.txt" \
    && "$VENV/bin/python" -c 'import websockets' >/dev/null 2>&1; then
    say "$VENV has $(tr '\n' ' ' < "$STAMP")"
else
    if ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
        rm -rf "$VENV"
        say "creating the venv $VENV"
        if ! run python3 -m venv "$VENV"; then
            # Debian's python3 lacks ensurepip until python3-venv (python3.X-venv) is installed.
            say "python3 -m venv failed; installing Debian's python3-venv"
            rm -rf "$VENV"
            apt_install python3-venv
            run python3 -m venv "$VENV"
        fi
    fi
    say "installing $DIR/requirements.txt into $VENV"
    run "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input \
        -r "$DIR/requirements.txt"
    cp "$DIR/requirements.txt" "$STAMP"
fi
"$VENV/bin/python" -c 'import websockets; print("install-interop: websockets", websockets.__version__)'

# --- 2. Node.js with ws ---------------------------------------------------------------------

if command -v node >/dev/null && command -v npm >/dev/null; then
    say "node $(node --version), npm $(npm --version) present"
else
    say "node or npm is missing"
    apt_install nodejs npm
fi

cd "$DIR"
want=$(node -p 'require("./package-lock.json").packages["node_modules/ws"].version')
have=$(node -p 'try { require("./node_modules/ws/package.json").version } catch (e) { "" }')
if [ "$have" = "$want" ]; then
    say "$DIR/node_modules has ws $have"
else
    say "npm ci in $DIR (ws $want)"
    run npm ci --no-audit --no-fund
fi
say "done"
