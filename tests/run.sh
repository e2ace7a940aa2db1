#!/usr/bin/env bash
# The whole test suite, with the real peers it needs. Installs what is
# missing: Debian's notary (client + server), age, zbar-tools, openssl, tmux and
# iproute2 (`ip netns`), and python-tuf 7.0.1 from PyPI. Tests start
# notary-server themselves on 127.0.0.1 and stop it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v notary >/dev/null 2>&1 || need_apt+=(notary)
command -v notary-server >/dev/null 2>&1 || need_apt+=(notary)
command -v age >/dev/null 2>&1 || need_apt+=(age)
command -v zbarimg >/dev/null 2>&1 || need_apt+=(zbar-tools)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# `ip netns` for the air-gap check's namespace tests.
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
# tmux drives the terminal UI's whole-ceremony tests; script (util-linux)
# gives `export --qr terminal` a real 80x24 terminal.
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)
command -v strace >/dev/null 2>&1 || need_apt+=(strace)
command -v script >/dev/null 2>&1 || need_apt+=(util-linux)
if [ ${#need_apt[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing with apt-get: ${need_apt[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! python3 -c "import tuf, sys; sys.exit(0 if tuf.__version__ == '7.0.1' else 1)" 2>/dev/null; then
  echo "installing python-tuf 7.0.1 with pip"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    'tuf==7.0.1' 'securesystemslib==1.6.0' 'cryptography==50.0.2'
fi

if ! python3 -c "import jsonschema" 2>/dev/null; then
  echo "installing jsonschema with pip (the --json tests check output against docs/schema)"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore 'jsonschema>=4.18'
fi

# A clean checkout gains nothing from incremental builds, which only add
# to target/ (the CI machine's disk is limited).
export CARGO_INCREMENTAL=0
cargo fmt --all -- --check
cargo clippy --locked --all-targets --features online -- -D warnings
# The air-gapped build must not pull in any network code.
if cargo tree --locked -e normal --prefix none | grep -qE '^(ureq|rustls|hyper|reqwest) '; then
  echo "the offline build depends on network crates:" >&2
  cargo tree --locked -e normal -i ureq >&2 || true
  exit 1
fi
# Supply-chain policy (deny.toml): bans, licences, sources. Advisories need
# the RustSec database, which CI cannot fetch (docs/install.md).
command -v cargo-deny >/dev/null 2>&1 || cargo install --locked cargo-deny --version 0.20.2
command -v cargo-auditable >/dev/null 2>&1 || cargo install --locked cargo-auditable --version 0.7.7
cargo deny --locked check bans licenses sources
cargo deny --locked --all-features --exclude-dev check licenses sources
cargo test --locked --all-targets --features online
# Smoke test of the python-tuf comparison (tiny data, one run, about 5 s;
# the real measurement is in docs/performance.md).
CEREMONY=target/debug/ceremony scripts/compare-python-tuf.sh 50 5 1
CEREMONY=target/debug/ceremony PY_CLIENT=updater scripts/compare-python-tuf.sh 50 5 1
# The static binary builds the same from two directories (--ci: shared deps).
scripts/reproducible-build.sh --ci
fuzz/ci.sh
