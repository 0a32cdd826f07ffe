#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for SECONDS each (10 by default): the importers (CSV, GeoJSON,
# NDJSON, OSM PBF, stock lists), hazard uploads, configuration files, and any request to the HTTP
# API (no answer may be a 5xx). Needs a nightly toolchain (cargo-fuzz uses it); installs
# cargo-fuzz from crates.io if it is missing. A crash leaves its input in fuzz/artifacts/ and
# fails the run.
#
#   scripts/fuzz.sh            # 10 s a target
#   scripts/fuzz.sh 600        # the longer runs recorded in TESTING.md
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "SKIPPED: fuzzing needs a nightly toolchain (rustup toolchain install nightly)"
  exit 0
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
target="${FUZZ_TARGET_DIR:-/var/tmp/refuge-fuzz-target}"
cargo +nightly fuzz build --target-dir "$target" >/dev/null
for name in $(cargo +nightly fuzz list); do
  echo "fuzz $name for ${seconds} s"
  cargo +nightly fuzz run --target-dir "$target" "$name" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 2>&1 \
    | grep -E "^(Done|stat::number_of_executed_units|SUMMARY|==[0-9]+==ERROR)|panicked" || true
  # A crash makes cargo-fuzz exit non-zero and leaves an artifact.
  if compgen -G "fuzz/artifacts/$name/*" >/dev/null; then
    echo "fuzz $name found a crash: fuzz/artifacts/$name/" >&2
    exit 1
  fi
done
