#!/usr/bin/env bash
# Builds the air-gapped `ceremony` binary (static, x86_64-unknown-linux-musl,
# no `online` feature, dependency list embedded by cargo-auditable) twice,
# from two clones of HEAD in different directories, and compares the
# SHA-256 of the two binaries. Prints the hash; exits 1 on a mismatch,
# 2 when it cannot build. See docs/install.md.
#
#   scripts/reproducible-build.sh            two independent cold builds
#   scripts/reproducible-build.sh --ci       cheaper: one shared target dir
#   scripts/reproducible-build.sh --out F    also copy the binary to F
#
# --ci: both clones build into one CARGO_TARGET_DIR, so the second build
# reuses the first one's dependencies and recompiles only the ceremony
# crate (from the second directory) and relinks. It shows that the checkout
# path does not reach the binary and that our crate and the link are
# deterministic; it does NOT show that the dependencies compile to the same
# bytes twice. Only the default (full) mode shows that.
set -euo pipefail

TARGET=x86_64-unknown-linux-musl
mode=full
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --ci) mode=ci ;;
    --out) out="${2:?--out needs a file}"; shift ;;
    *) echo "usage: $0 [--ci] [--out FILE]" >&2; exit 2 ;;
  esac
  shift
done

repo="$(cd "$(dirname "$0")/.." && pwd)"
commit="$(git -C "$repo" rev-parse HEAD)"

if ! command -v cargo-auditable >/dev/null 2>&1; then
  echo "reproducible-build: cargo-auditable is missing" >&2
  echo "hint: cargo install --locked cargo-auditable --version 0.7.7" >&2
  exit 2
fi
if ! rustup target list --installed 2>/dev/null | grep -qx "$TARGET"; then
  if ! rustup target add "$TARGET" >/dev/null 2>&1; then
    # A machine that cannot fetch the target cannot build this at all.
    echo "reproducible-build: SKIPPED: the $TARGET target is not installed and rustup could not add it" >&2
    # Outside CI the test suite goes on without this check; in CI
    # (CI=true) a missing peer is a failure, as for every other test.
    [ "$mode" = ci ] && [ "${CI:-}" != true ] && exit 0
    exit 2
  fi
fi

cargo_home="${CARGO_HOME:-$HOME/.cargo}"
cargo_home="$(cd "$cargo_home" && pwd -P)"
sysroot="$(rustc --print sysroot)"
# The commit's time, so nothing that reads the clock sees the build's.
export SOURCE_DATE_EPOCH="$(git -C "$repo" log -1 --format=%ct "$commit")"
# Settings from outside that would change the binary.
unset RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER CARGO_BUILD_RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
export CARGO_INCREMENTAL=0

work="$(mktemp -d "${TMPDIR:-/tmp}/ceremony-repro.XXXXXX")"
trap 'rm -rf "$work"' EXIT
a="$work/checkout-a"
b="$work/elsewhere/checkout-b"

for d in "$a" "$b"; do
  git clone --quiet --no-checkout "$repo" "$d"
  git -C "$d" checkout --quiet --detach "$commit"
done

# build CHECKOUT TARGET_DIR REMAP_CHECKOUTS...: every path that differs
# between builders (the checkouts, the target dir, $CARGO_HOME, the
# toolchain) is remapped to a fixed name. Later rules win in rustc, so the
# more specific ones come last.
build() {
  local dir="$1" tdir="$2"
  shift 2
  local flags="--remap-path-prefix=$sysroot=/rust/toolchain"
  flags+=" --remap-path-prefix=$cargo_home=/rust/cargo"
  local c
  for c in "$@"; do flags+=" --remap-path-prefix=$c=/build/ceremony"; done
  flags+=" --remap-path-prefix=$tdir=/build/target"
  local t0=$SECONDS
  (
    cd "$dir"
    RUSTFLAGS="$flags" CARGO_TARGET_DIR="$tdir" \
      nice cargo auditable build --quiet --locked --release \
      --target "$TARGET" --bin ceremony
  )
  echo "built in $dir: $((SECONDS - t0)) s"
}

started=$SECONDS
if [ "$mode" = full ]; then
  build "$a" "$work/target-a" "$a"
  build "$b" "$work/target-b" "$b"
  bin_a="$work/target-a/$TARGET/release/ceremony"
  bin_b="$work/target-b/$TARGET/release/ceremony"
else
  # Identical flags for both builds, so the dependencies are reused.
  build "$a" "$work/target" "$a" "$b"
  cp "$work/target/$TARGET/release/ceremony" "$work/ceremony-a"
  build "$b" "$work/target" "$a" "$b"
  bin_a="$work/ceremony-a"
  bin_b="$work/target/$TARGET/release/ceremony"
fi

hash_a="$(sha256sum "$bin_a" | cut -d' ' -f1)"
hash_b="$(sha256sum "$bin_b" | cut -d' ' -f1)"
echo "commit $commit, $mode mode, $((SECONDS - started)) s, $(rustc -V), $(cargo install --list | grep -o "^cargo-auditable v[^:]*" || echo "cargo-auditable (version unknown)")"
echo "$hash_a  $a/ceremony"
echo "$hash_b  $b/ceremony"
if [ "$hash_a" != "$hash_b" ]; then
  echo "reproducible-build: the two builds differ" >&2
  echo "hint: compare them with diffoscope, or objdump -s of the differing sections" >&2
  exit 1
fi
if [ -n "$out" ]; then
  cp "$bin_b" "$out"
fi
echo "reproducible: $hash_a"
