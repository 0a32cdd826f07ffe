#!/usr/bin/env bash
# Load benchmark of `refuge serve` on loopback with wrk: tiles per second (cached and uncached,
# with and without the Accept-Encoding browsers send) for fixed lists of z10–z16 tiles, and nearest
# queries per second, on the demo city and on the 135k GeoNames places. Prints a Markdown table.
#
#   bench/load.sh            (needs wrk: apt-get install wrk; runs ~3 minutes)
#
# Every request goes to 127.0.0.1; every run is bounded by wrk's -d.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }
cargo build --release -q -p refuge-cli
BIN="$CARGO_TARGET_DIR/release/refuge"
PORT=18080
WORK=$(mktemp -d)
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
DURATION=${DURATION:-8s}
BROWSER="gzip, deflate, br"

start() { # start [refuge serve args…]
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true
  "$BIN" serve --bind "127.0.0.1:$PORT" "$@" >"$WORK/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return; sleep 0.1; done
  echo "the server did not start:" >&2; cat "$WORK/serve.log" >&2; exit 1
}

tiles() { # tiles TILESET W S E N ZMIN ZMAX VERSION → paths
  python3 - "$@" <<'PY'
import math, sys
name, w, s, e, n, zmin, zmax, v = sys.argv[1], *map(float, sys.argv[2:6]), int(sys.argv[6]), int(sys.argv[7]), sys.argv[8]
def xy(lon, lat, z):
    k = 2 ** z
    lat = math.radians(max(min(lat, 85.0511), -85.0511))
    return int((lon + 180) / 360 * k), int((1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * k)
for z in range(zmin, zmax + 1):
    x0, y0 = xy(w, n, z); x1, y1 = xy(e, s, z)
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            print(f"/tiles/{name}/{z}/{x}/{y}.mvt?v={v}")
PY
}

run() { # run LABEL URLFILE CONNECTIONS ACCEPT → "| label | req/s | p50 | p99 |"
  local out threads=$(( $3 < 2 ? $3 : 2 ))
  out=$(URLS="$2" ACCEPT="$4" wrk -t"$threads" -c"$3" -d"$DURATION" --latency -s bench/urls.lua "http://127.0.0.1:$PORT" 2>&1) || {
    echo "wrk failed for $1: $out" >&2
    return 0
  }
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  printf '| %s | %s | %s | %s | %s |\n' "$1" "$(wc -l <"$2")" "$rps" "$p50" "$p99"
}

nearest_urls() { # nearest_urls W S E N COUNT FILTERS → paths
  python3 - "$@" <<'PY'
import random, sys
w, s, e, n, count, filters = *map(float, sys.argv[1:5]), int(sys.argv[5]), sys.argv[6]
rng = random.Random(7)
for _ in range(count):
    print(f"/api/v1/nearest?lon={rng.uniform(w, e):.5f}&lat={rng.uniform(s, n):.5f}&k=5{filters}")
PY
}

echo "| run | URLs | requests/s | p50 | p99 |"
echo "|---|---|---|---|---|"

# The demo city (Monaco).
BBOX="7.409 43.723 7.440 43.752"
start --store "$WORK/demo.db"
tiles facilities $BBOX 10 16 1 >"$WORK/monaco-facilities"
tiles base $BBOX 10 16 1 >"$WORK/monaco-base"
cat "$WORK/monaco-facilities" "$WORK/monaco-base" >"$WORK/monaco-all"
while read -r p; do curl -s -o /dev/null "http://127.0.0.1:$PORT$p"; curl -s -o /dev/null -H "Accept-Encoding: $BROWSER" "http://127.0.0.1:$PORT$p"; done <"$WORK/monaco-all"
run "demo, cached tiles z10–16, identity" "$WORK/monaco-all" 32 ""
run "demo, cached tiles z10–16, browser encodings" "$WORK/monaco-all" 32 "$BROWSER"
nearest_urls $BBOX 2000 "&kind=shelter&has_room=true" >"$WORK/monaco-nearest"
run "demo, nearest k=5 has_room" "$WORK/monaco-nearest" 32 ""
start --store "$WORK/demo.db" --tile-cache-mb 0
for z in 14 12; do
  for set in facilities base; do
    grep "/$z/" "$WORK/monaco-$set" >"$WORK/z$z-$set"
    run "demo, uncached $set z$z (1 connection)" "$WORK/z$z-$set" 1 ""
  done
done

# The 135k GeoNames places as shelters.
GEONAMES=../shared/data/bench/geonames-cities-135k.csv.gz
if [ -f "$GEONAMES" ]; then
  gzip -dc "$GEONAMES" >"$WORK/geonames.csv"
  "$BIN" import "$WORK/geonames.csv" --kind shelter -o "$WORK/geonames.geojson" >/dev/null 2>&1
  start --read-only --data "$WORK/geonames.geojson"
  # Western Europe: dense with places.
  EU="2.0 48.5 2.6 49.0"
  tiles facilities $EU 10 16 1 >"$WORK/eu-all"
  awk 'NR % 3 == 1 && n++ < 3000' "$WORK/eu-all" >"$WORK/eu"
  while read -r p; do curl -s -o /dev/null "http://127.0.0.1:$PORT$p"; curl -s -o /dev/null -H "Accept-Encoding: $BROWSER" "http://127.0.0.1:$PORT$p"; done <"$WORK/eu"
  run "geonames, cached tiles z10–16, identity" "$WORK/eu" 32 ""
  run "geonames, cached tiles z10–16, browser encodings" "$WORK/eu" 32 "$BROWSER"
  nearest_urls -10 35 30 60 2000 "&kind=shelter" >"$WORK/eu-nearest"
  run "geonames, nearest k=5 shelters" "$WORK/eu-nearest" 32 ""
  start --read-only --data "$WORK/geonames.geojson" --tile-cache-mb 0
  grep '/14/' "$WORK/eu" >"$WORK/eu14" || true
  grep '/12/' "$WORK/eu" >"$WORK/eu12" || true
  run "geonames, uncached z14 (1 connection)" "$WORK/eu14" 1 ""
  run "geonames, uncached z12 (1 connection)" "$WORK/eu12" 1 ""
else
  echo "SKIPPED: $GEONAMES is absent" >&2
fi
