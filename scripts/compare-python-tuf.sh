#!/usr/bin/env bash
# Verification speed and memory, ceremony against python-tuf 7.0.1's own
# client code, on data python-tuf writes itself:
#   - a TUF repository with TARGETS targets (1.root.json, timestamp,
#     snapshot, one targets.json holding them all);
#   - a root chain of ROOTS versions (1.root.json .. ROOTS.root.json), one
#     key kept by every version;
#   - a root chain of ROOTS versions as a ceremony keeps one: three root
#     keys (threshold 2), one replaced in each version, and keys of their
#     own for the other roles.
# The two tools run alternately, RUNS times each per case; the table gives
# the median wall time, the median CPU time (user + system: what the run
# cost, less disturbed by other work on the machine), the largest peak RSS
# (GNU time) and the ratios.
# Either tool failing to trust the data fails the script.
#
#   scripts/compare-python-tuf.sh [TARGETS [ROOTS [RUNS]]]   (100000 1000 5)
#   CEREMONY=path/to/ceremony (default target/release/ceremony)
#   PY_CLIENT=updater: python-tuf's side is the public ngclient Updater
#     (refresh() through a fetcher reading the files, each persisted to a
#     fresh cache) instead of its verification core, the TrustedMetadataSet
#     the Updater runs (the default: the faster of the two)
set -euo pipefail
cd "$(dirname "$0")/.."

targets=${1:-100000}
roots=${2:-1000}
runs=${3:-5}
ceremony=${CEREMONY:-target/release/ceremony}
py=scripts/python-tuf-bench.py
case ${PY_CLIENT:-core} in
  core) py_verify=verify ;;
  updater) py_verify=verify-updater ;;
  *) echo "PY_CLIENT is core or updater" >&2; exit 2 ;;
esac
[ -x "$ceremony" ] || { echo "no $ceremony: run 'cargo build --release' first" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed for peak memory" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$py" gen-repo "$work/repo" "$targets"
python3 "$py" gen-chain "$work/chain" "$roots"
python3 "$py" gen-rotation "$work/rotation" "$roots"

# One run: appends "seconds KB" to $work/$2.
measure() {
  local what=$1 out=$2
  shift 2
  if ! /usr/bin/time -f "%e %M %U %S" -o "$work/one" "$@" >"$work/log" 2>&1; then
    echo "$what failed:" >&2
    cat "$work/log" >&2
    exit 1
  fi
  cat "$work/one" >>"$work/$out"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
peak() { sort -n | tail -1; }

for case in repo chain rotation; do
  for _ in $(seq "$runs"); do
    measure "python-tuf ($case)" "py.$case" python3 "$py" "$py_verify" "$work/$case"
    measure "ceremony verify ($case)" "cer.$case" "$ceremony" verify "$work/$case"
  done
done

printf '%-32s %31s %31s %9s %12s\n' "work" "python-tuf 7.0.1 (wall cpu RSS)" "ceremony (wall cpu RSS)" "speed" "RSS/largest"
for case in repo chain rotation; do
  largest=$(find "$work/$case" -type f -printf '%s\n' | sort -n | tail -1)
  pt=$(cut -d' ' -f1 "$work/py.$case" | median)
  pm=$(cut -d' ' -f2 "$work/py.$case" | peak)
  pc=$(awk '{print $3 + $4}' "$work/py.$case" | median)
  ct=$(cut -d' ' -f1 "$work/cer.$case" | median)
  cc=$(awk '{print $3 + $4}' "$work/cer.$case" | median)
  cm=$(cut -d' ' -f2 "$work/cer.$case" | peak)
  case $case in
    repo) label="repository, $targets targets" ;;
    chain) label="root chain, $roots versions" ;;
    *) label="root rotations, $roots versions" ;;
  esac
  awk -v l="$label" -v pt="$pt" -v pc="$pc" -v pm="$pm" -v ct="$ct" -v cc="$cc" -v cm="$cm" \
    -v big="$largest" 'BEGIN {
    ratio = (ct > 0) ? pt / ct : 0
    printf "%-32s %8.3fs %8.3fs %8.1fMB %8.3fs %8.3fs %8.1fMB %8.1fx %11.1fx\n",
      l, pt, pc, pm / 1024, ct, cc, cm / 1024, ratio, cm * 1024 / big
  }'
done
echo "(python-tuf side: $py_verify; median of $runs alternating runs each; speed is python-tuf's wall time over ceremony's;"
echo " RSS/largest is ceremony's peak RSS over the largest file of the data set)"
