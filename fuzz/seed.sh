#!/usr/bin/env bash
# Builds fuzz/corpus/<target>/ from tests/data, ceremony-scripts/ and the
# small committed seeds in fuzz/seeds/ (plus every kept regression input).
# Whole directories are packed into one input each: records separated by a
# NUL byte, each `name` LF `content` (see fuzz_targets/common/mod.rs).
set -euo pipefail
cd "$(dirname "$0")"
root=..
out=corpus

# pack DIR [NAME=FILE...]: one input of every regular file under DIR, named
# by its path inside DIR; Notary's targets_<role>.json become
# targets/<role>.json as the server names delegations.
pack() {
  local dir=$1
  shift
  (
    cd "$dir"
    find . -type f ! -name '*.md' ! -name '*.txt' -o -type f -name 'READBACK.txt' | sort |
      while read -r f; do
        f=${f#./}
        name=$f
        case $f in targets_*.json) name="targets/${f#targets_}" ;; esac
        printf '%s\n' "$name"
        cat "$f"
        printf '\0'
      done
  )
  for extra in "$@"; do
    printf '%s\n' "${extra%%=*}"
    cat "${extra#*=}"
    printf '\0'
  done
}

mkdir -p "$out"/{verify,share,frames,bundle,request,script}

# verify: each repository in tests/data, alone and with a trusted root or a
# forced dialect; each metadata file alone too.
n=0
for d in "$root"/tests/data/notary/v1 "$root"/tests/data/notary/v2 "$root"/tests/data/tuf/*/; do
  n=$((n + 1))
  pack "$d" >"$out/verify/dir-$n"
  first=$(ls "$d" | grep -E '^1\.root\.json$' | head -1 || true)
  if [ -n "$first" ]; then
    pack "$d" "trusted=$d/$first" >"$out/verify/dir-$n-trusted"
  fi
  case $d in *notary*) dialect=notary ;; *) dialect=tuf ;; esac
  printf 'dialect\n%s\0' "$dialect" >"$out/verify/dialect-$n"
  pack "$d" >>"$out/verify/dialect-$n"
done
for f in "$root"/tests/data/notary/v2/*.json "$root"/tests/data/tuf/valid_chain_v1_v2/*.json; do
  n=$((n + 1))
  { printf '%s\n' "$(basename "$f")"; cat "$f"; } >"$out/verify/file-$n"
done

# share: age files, text and binary forms.
cp seeds/share/* "$out/share/"

# frames: the text of an export's QR frames, one per line, and a few
# variants (lower case, one frame lost, one unreadable).
cp seeds/frames/export.txt "$out/frames/export"
tr 'A-Z' 'a-z' <seeds/frames/export.txt >"$out/frames/export-lower"
sed 1d seeds/frames/export.txt >"$out/frames/export-one-lost"
sed '2s/^/!blurred/' seeds/frames/export.txt >"$out/frames/export-unreadable"
head -3 seeds/frames/export.txt >"$out/frames/export-short"

# bundle: an export folder, with and without its QR images, and the
# repositories of tests/data (no SHA256SUMS: refused early, still seeds).
pack seeds/bundle/export >"$out/bundle/export"
pack seeds/bundle/export "qr/frame-001.png=seeds/bundle/qr/frame-001.png" >"$out/bundle/export-qr"
pack seeds/bundle/qr >"$out/bundle/qr-only"
n=0
for d in "$root"/tests/data/notary/v2 "$root"/tests/data/tuf/valid_chain_v1_v2; do
  n=$((n + 1))
  pack "$d" >"$out/bundle/dir-$n"
done

# request: requests as made, signed, and with a root history.
cp seeds/request/* "$out/request/"

# script: every shipped script, and an answers file.
cp "$root"/ceremony-scripts/*.toml "$out/script/"
cp seeds/script/answers.toml "$out/script/"

# Every input a fixed bug was found with.
for t in verify share frames bundle request script; do
  if [ -d "regressions/$t" ]; then
    cp regressions/"$t"/* "$out/$t/" 2>/dev/null || true
  fi
done

for t in verify share frames bundle request script; do
  echo "$t: $(ls "$out/$t" | wc -l) seeds"
done
