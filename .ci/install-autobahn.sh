#!/usr/bin/env bash
# Installs the Autobahn|Testsuite (`wstest`) for `cargo xtask autobahn`.
#
# wstest (PyPI `autobahntestsuite`) runs only on Python 2.7, which Debian 12 no longer
# ships, so this script:
#   1. installs python2.7 (+ -dev, gcc, libc6-dev) from Debian 11 "bullseye", added as an
#      extra apt source pinned at priority 100 so it supplies only what bookworm lacks;
#   2. bootstraps the last pip/virtualenv that support 2.7 from their wheels;
#   3. creates a python2.7 virtualenv at $DIR/venv and installs autobahntestsuite into it
#      with a constraints file of the last releases of its dependencies that support 2.7;
#   4. writes $DIR/wstest-loopback.py, a wrapper that forces every listening socket wstest
#      opens onto 127.0.0.1 (wstest binds all interfaces; only loopback may be used here).
#
# DIR is $SOCKEYE_AUTOBAHN_DIR, default /opt/autobahn. Runs as root, non-interactively,
# and is idempotent: when everything is already in place it prints so and exits at once.
set -euo pipefail

DIR="${SOCKEYE_AUTOBAHN_DIR:-/opt/autobahn}"
VENV="$DIR/venv"
WRAPPER="$DIR/wstest-loopback.py"
STAMP="$DIR/.sockeye-install"
# Bump when anything below changes, so existing installs are redone.
STAMP_VERSION="sockeye-autobahn-1 autobahntestsuite==25.10.1"
PY2=/usr/bin/python2.7
export DEBIAN_FRONTEND=noninteractive
# pip 20.3.4 bundles an old CA list: point pip at the system bundle instead.
CERT_ARGS=()
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then CERT_ARGS=(--cert /etc/ssl/certs/ca-certificates.crt); fi

say() { echo "install-autobahn: $*" >&2; }
run() { echo "+ $*" >&2; "$@"; }

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$STAMP_VERSION" ] && [ -f "$WRAPPER" ] \
    && "$VENV/bin/python" -c 'import autobahntestsuite' >/dev/null 2>&1; then
    say "already installed in $DIR ($STAMP_VERSION)"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    say "warning: not root; apt steps will fail if python2.7 is missing"
fi

# --- 1. python2.7 ------------------------------------------------------------------------

# Prints the mirror URI that apt uses for the main Debian archive (suite $1), from
# one-line .list files or deb822 .sources files; deb.debian.org if none is found.
debian_mirror() {
    local suite="$1" f uri
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        uri=$(awk -v suite="$suite" '
            $1 == "deb" {
                i = 2
                if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; i++ }
                if ($(i + 1) == suite && $i !~ /security/) { print $i; exit }
            }' "$f")
        if [ -n "$uri" ]; then echo "$uri"; return; fi
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        uri=$(awk -v suite="$suite" '
            BEGIN { RS = ""; FS = "\n" }
            {
                uris = ""; suites = ""; types = ""; enabled = 1
                for (j = 1; j <= NF; j++) {
                    line = $j
                    if (line ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", line); uris = line }
                    else if (line ~ /^Suites:/) { sub(/^Suites:[ \t]*/, "", line); suites = " " line " " }
                    else if (line ~ /^Types:/) { types = line " " }
                    else if (line ~ /^Enabled:[ \t]*[Nn]o/) { enabled = 0 }
                }
                if (enabled && types ~ /[ \t]deb[ \t]/ && index(suites, " " suite " ") > 0) {
                    split(uris, u, " ")
                    if (u[1] !~ /security/) { print u[1]; exit }
                }
            }' "$f")
        if [ -n "$uri" ]; then echo "$uri"; return; fi
    done
    echo "http://deb.debian.org/debian"
}

apt_install() {
    run apt-get -q install -y --no-install-recommends "$@"
}

have_python2_headers() {
    [ -x "$PY2" ] && "$PY2" -c 'import os
from distutils.sysconfig import get_python_inc
assert os.path.exists(os.path.join(get_python_inc(), "Python.h"))' 2>/dev/null
}

if have_python2_headers && command -v gcc >/dev/null; then
    say "python2.7, its headers and gcc are present"
else
    codename=""
    if [ -r /etc/os-release ]; then codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}"); fi
    if [ "$codename" = bookworm ]; then
        mirror=$(debian_mirror bookworm)
        say "Debian 12 has no python2.7: adding bullseye from $mirror, pinned at priority 100"
        keyring=/usr/share/keyrings/debian-archive-keyring.gpg
        opts=""
        if [ -f "$keyring" ]; then opts="[signed-by=$keyring] "; fi
        echo "deb ${opts}$mirror bullseye main" > /etc/apt/sources.list.d/sockeye-bullseye.list
        cat > /etc/apt/preferences.d/sockeye-bullseye <<PIN
# Added by sockeye's .ci/install-autobahn.sh: bullseye only supplies what bookworm lacks
# (python2.7 for the Autobahn testsuite).
Package: *
Pin: release n=bullseye
Pin-Priority: 100
PIN
    else
        say "installing python2.7 from the configured apt sources (codename '$codename')"
    fi
    run apt-get -q update
    apt_install python2.7 python2.7-dev gcc libc6-dev
fi
"$PY2" --version

# --- 2. pip and virtualenv for python2.7 ---------------------------------------------------

mkdir -p "$DIR/wheels"
PIP_WHL="$DIR/wheels/pip-20.3.4-py2.py3-none-any.whl"
VENV_WHL="$DIR/wheels/virtualenv-16.7.12-py2.py3-none-any.whl"
if [ ! -f "$PIP_WHL" ] || [ ! -f "$VENV_WHL" ]; then
    say "downloading the last pip and virtualenv wheels that support python2.7"
    if ! python3 -m pip --version >/dev/null 2>&1; then
        run apt-get -q update
        apt_install python3-pip
    fi
    run python3 -m pip download --disable-pip-version-check --no-deps \
        --python-version 2.7 --only-binary=:all: "${CERT_ARGS[@]}" \
        -d "$DIR/wheels" pip==20.3.4 virtualenv==16.7.12
fi
if [ ! -f "$DIR/bootstrap/virtualenv.py" ]; then
    say "bootstrapping virtualenv for python2.7 into $DIR/bootstrap"
    rm -rf "$DIR/bootstrap"
    run "$PY2" "$PIP_WHL/pip" install --disable-pip-version-check --no-index --no-deps \
        --target "$DIR/bootstrap" "$VENV_WHL"
fi

# --- 3. the virtualenv with autobahntestsuite ----------------------------------------------

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; assert sys.version_info[:2] == (2, 7)' 2>/dev/null; then
    say "creating the python2.7 virtualenv $VENV"
    rm -rf "$VENV"
    run env PYTHONPATH="$DIR/bootstrap" "$PY2" -m virtualenv --no-download "$VENV"
fi

cat > "$DIR/constraints.txt" <<'CONSTRAINTS'
attrs==21.4.0
autobahn==0.10.9
Automat==22.10.0
cffi==1.15.1
constantly==15.1.0
cryptography==3.3.2
enum34==1.1.10
hyperlink==21.0.0
idna==2.10
incremental==16.10.1
ipaddress==1.0.23
Jinja2==2.11.3
klein==17.10.0
linecache2==1.0.0
MarkupSafe==1.1.1
pyasn1==0.5.1
pyasn1-modules==0.3.0
pycparser==2.21
PyHamcrest==1.10.1
pyOpenSSL==19.1.0
service-identity==18.1.0
setuptools==44.0.0
six==1.16.0
traceback2==1.4.0
Twisted==19.10.0
txaio==2.1.0
typing==3.10.0.0
ujson==2.0.3
unittest2==1.1.0
Werkzeug==1.0.1
wsaccel==0.6.6
zope.interface==4.6.0
CONSTRAINTS

say "installing autobahntestsuite into $VENV"
# PIP_FIND_LINKS etc. from the environment may point at python3-only wheel folders.
run env -u PIP_FIND_LINKS "$VENV/bin/python" -m pip install \
    --disable-pip-version-check --no-input "${CERT_ARGS[@]}" \
    --constraint "$DIR/constraints.txt" "$PIP_WHL" setuptools
run env -u PIP_FIND_LINKS "$VENV/bin/python" -m pip install \
    --disable-pip-version-check --no-input "${CERT_ARGS[@]}" \
    --constraint "$DIR/constraints.txt" autobahntestsuite==25.10.1

# --- 4. the loopback-only wrapper ----------------------------------------------------------

say "writing $WRAPPER"
cat > "$WRAPPER" <<'PY'
# Runs wstest with every TCP listening socket bound to 127.0.0.1 (wstest binds all
# interfaces by default; this workplace allows only loopback). Written by sockeye's
# .ci/install-autobahn.sh. Usage: $VENV/bin/python wstest-loopback.py <wstest args>
import sys

from twisted.internet import posixbase

_listen_tcp = posixbase.PosixReactorBase.listenTCP


def _listen_tcp_loopback(self, port, factory, backlog=50, interface=''):
    return _listen_tcp(self, port, factory, backlog, '127.0.0.1')


posixbase.PosixReactorBase.listenTCP = _listen_tcp_loopback

from autobahntestsuite.wstest import run  # noqa: E402

sys.argv[0] = 'wstest'
sys.exit(run())
PY

"$VENV/bin/python" "$WRAPPER" --autobahnversion
echo "$STAMP_VERSION" > "$STAMP"
say "done: wstest is $VENV/bin/wstest, run it through $VENV/bin/python $WRAPPER"
