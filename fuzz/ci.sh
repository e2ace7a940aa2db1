#!/usr/bin/env bash
# CI for the fuzz targets: installs cargo-fuzz if missing, builds every
# target, seeds the corpora and runs each target for a bounded time
# (FUZZ_SECONDS, default 20), one at a time. Any crash, hang (> 10 s per
# input; 30 s for bundles, which decode images) or leak of memory past
# libFuzzer's limit fails the script; the input is left in
# fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${FUZZ_SECONDS:-20}
targets=(verify share frames bundle request script)

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz 0.13.2"
  cargo +nightly install --locked cargo-fuzz@0.13.2
fi

# No sanitizer: the crate forbids unsafe code, so what the fuzzer finds is
# panics and hangs, which need none; AddressSanitizer would halve the runs.
# No debug info in CI: it only slows the cold build (about 6.5 min here
# without it); a crash still prints its panic message and input.
export CARGO_PROFILE_RELEASE_DEBUG=${CARGO_PROFILE_RELEASE_DEBUG:-false}
cargo +nightly fuzz build -s none
./seed.sh

for t in "${targets[@]}"; do
  timeout=10
  [ "$t" = bundle ] && timeout=30
  echo "fuzzing $t for ${seconds} s"
  if ! cargo +nightly fuzz run -s none "$t" "corpus/$t" -- \
    -max_total_time="$seconds" -timeout="$timeout" -print_final_stats=1 \
    >"corpus/$t.log" 2>&1; then
    tail -n 40 "corpus/$t.log" >&2
    echo "fuzz target $t failed: the input is in fuzz/artifacts/$t/" >&2
    exit 1
  fi
  grep -a "DONE" "corpus/$t.log" | tail -n 1
done
