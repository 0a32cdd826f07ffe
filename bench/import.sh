#!/usr/bin/env bash
# Import benchmark: CSV and GeoJSON files of 100k and 1M shelters (GCJ-02, in and around Beijing,
# seeded and reproducible) imported into a new store with the release binary; prints wall time and
# peak memory (RSS) of each run as a Markdown table. Targets (issue 7): 100k in ≤ 10 s, 1M in
# ≤ 60 s, ≤ 1 GB RSS whatever the file size.
#
#   bench/import.sh            (about 3 minutes; needs python3 and GNU time: apt-get install time)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
[ -x /usr/bin/time ] || { echo "GNU time is not installed: apt-get install time" >&2; exit 1; }
cargo build --release -q -p refuge-cli
BIN="$CARGO_TARGET_DIR/release/refuge"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK" <<'PY'
import json, random, sys
work = sys.argv[1]
for rows, name in [(100_000, "100k"), (1_000_000, "1m")]:
    rng = random.Random(7)
    with open(f"{work}/shelters-{name}.csv", "w") as csv, open(f"{work}/shelters-{name}.ndjson", "w") as nd, \
         open(f"{work}/shelters-{name}.geojson", "w") as gj:
        csv.write("source_id,name,lon,lat,capacity,suitable_for,district\n")
        gj.write('{"type":"FeatureCollection","features":[\n')
        for n in range(rows):
            lon, lat = 115.7 + rng.random() * 1.7, 39.4 + rng.random() * 1.6
            capacity = rng.randrange(50, 5000)
            csv.write(f"b{n},避难场所 {n},{lon:.6f},{lat:.6f},{capacity},earthquake;fire,区{n % 16}\n")
            feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
                       "properties": {"source_id": f"b{n}", "name": f"避难场所 {n}", "capacity": capacity, "district": f"区{n % 16}"}}
            line = json.dumps(feature, ensure_ascii=False)
            nd.write(line + "\n")
            gj.write(("," if n else "") + line + "\n")
        gj.write("]}\n")
PY

echo "| input | rows | file MB | seconds | peak RSS MB | rows/s |"
echo "|---|---:|---:|---:|---:|---:|"
for name in 100k 1m; do
  rows=$([ "$name" = 100k ] && echo 100000 || echo 1000000)
  for format in csv geojson; do
    file="$WORK/shelters-$name.$format"
    rm -f "$WORK/store.db" "$WORK/store.db-wal" "$WORK/store.db-shm"
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$BIN" import "$file" --crs gcj02 --kind shelter --store "$WORK/store.db" >/dev/null 2>"$WORK/err" \
      || { cat "$WORK/err" >&2; exit 1; }
    read -r seconds kb <"$WORK/time"
    size=$(du -m "$file" | cut -f1)
    echo "| $format | $rows | $size | $seconds | $((kb / 1024)) | $(python3 -c "print(round($rows / $seconds))") |"
  done
done
