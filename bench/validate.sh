#!/usr/bin/env bash
# Whole-process validation benchmark: `maillage validate FILE` against `frictionless validate
# FILE` on the same valid standard CSV, each timed as a command a user runs (process start,
# referential loading, reading, checking, report), and the ratio printed.
#
# Why a script and not the in-process example (`bench_validate`): a user meets the command,
# with its start-up and the loading of the national referential, not the library function.
#
# The file: the three national lists shipped in data/lieux/national/ imported into a scratch
# SQLite base and exported to the standard CSV by the same binary (the export is valid for
# frictionless), then rows repeated with new ids up to ROWS rows.
#
# Usage: bench/validate.sh [ROWS] (default 50000)
#   MAILLAGE_BIN   the binary to time (default target/release/maillage; build it with
#                  `cargo build --release` first)
#   MAILLAGE_FRICTIONLESS  frictionless (default .venv/bin/frictionless, then the PATH)
#   MAILLAGE_SHARED_DATA   the shared data folder, for the standard's schema v1.0.1
set -euo pipefail

ROWS="${1:-50000}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${MAILLAGE_BIN:-$ROOT/target/release/maillage}"
FRICTIONLESS="${MAILLAGE_FRICTIONLESS:-$ROOT/.venv/bin/frictionless}"
if [ ! -x "$FRICTIONLESS" ]; then
  FRICTIONLESS="$(command -v frictionless || true)"
fi
# The standard's schema, as the in-process benchmark gives it to frictionless.
SCHEMA="${MAILLAGE_SHARED_DATA:-$ROOT/../shared/data}/standard-mediation-num/schema-v1.0.1.json"
[ -f "$SCHEMA" ] || { echo "schéma du standard introuvable : $SCHEMA" >&2; exit 2; }
[ -x "$BIN" ] || { echo "binaire introuvable : $BIN (cargo build --release)" >&2; exit 2; }
[ -n "$FRICTIONLESS" ] || { echo "frictionless introuvable (MAILLAGE_FRICTIONLESS)" >&2; exit 2; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export MAILLAGE_DATA_DIR="$ROOT/data"
unset MAILLAGE_DATABASE_URL

for f in "$ROOT"/data/lieux/national/*.gz; do
  gunzip -c "$f" >"$WORK/$(basename "${f%.gz}")"
done
"$BIN" import --db "sqlite:$WORK/base.sqlite" --rejects "$WORK/rejets" "$WORK"/*.json "$WORK"/*.csv \
  >/dev/null || true # rows rejected by the import are reported, not needed here
"$BIN" export --db "sqlite:$WORK/base.sqlite" --format standard-csv --out "$WORK/base.csv" \
  >"$WORK/export.txt" 2>&1

python3 - "$WORK/base.csv" "$WORK/lieux.csv" "$ROWS" <<'EOF'
import csv, sys
src, dst, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src, newline="", encoding="utf-8") as f:
    r = csv.reader(f)
    header = next(r)
    base = list(r)
id_col = header.index("id")
with open(dst, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(header)
    for i in range(rows):
        row = list(base[i % len(base)])
        row[id_col] = f"{row[id_col]}-{i // len(base)}"
        w.writerow(row)
EOF
SIZE=$(du -m "$WORK/lieux.csv" | cut -f1)

# Wall-clock seconds of one command, in $SECONDS_TAKEN; stops the benchmark if the command
# does not find the file valid (a ratio on a failing run would mean nothing).
time_valid() {
  local start end status
  start=$(date +%s%N)
  set +e
  "$@" >"$WORK/out.txt" 2>&1
  status=$?
  set -e
  end=$(date +%s%N)
  if [ "$status" != 0 ]; then
    echo "$1 : code $status" >&2
    tail -20 "$WORK/out.txt" >&2
    exit 1
  fi
  SECONDS_TAKEN=$(echo "scale=3; ($end - $start) / 1000000000" | bc)
}

time_valid "$BIN" validate "$WORK/lieux.csv"
OURS=$SECONDS_TAKEN
time_valid "$FRICTIONLESS" validate "$WORK/lieux.csv" --schema "$SCHEMA" --trusted
THEIRS=$SECONDS_TAKEN
RATIO=$(echo "scale=2; $THEIRS / $OURS" | bc)
echo "fichier : $ROWS lignes, $SIZE Mo"
echo "maillage validate : $OURS s"
echo "frictionless validate : $THEIRS s"
LC_NUMERIC=C printf "rapport (frictionless / maillage, processus entiers) : %.1fx\n" "$RATIO"
