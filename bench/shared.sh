#!/usr/bin/env bash
# Refuge servers sharing one PostgreSQL + PostGIS store, on this machine, in one run:
#   - write → visible on another server (p50, p99, max over 500 status reports);
#   - catching up after a stall (SIGSTOP while 5,000 writes land elsewhere) and after a restart;
#   - start time, nearest and tile throughput with the PostgreSQL store against the SQLite store
#     (both serve from memory; the figures should match).
#
#   bench/shared.sh              (as root on a fresh machine: installs what it needs; ~10 minutes)
#
# Data: the 135,233 GeoNames places of ../shared/data/bench as shelters, imported into SQLite and
# copied into PostgreSQL with `refuge store copy`. Everything binds to 127.0.0.1 and stops by
# itself; the PostgreSQL cluster lives in a temporary folder and is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
GEONAMES=../shared/data/bench/geonames-cities-135k.csv.gz
[ -f "$GEONAMES" ] || { echo "SKIPPED: $GEONAMES is absent" >&2; exit 0; }
DURATION=${DURATION:-10s}

for package in wrk python3 curl; do
  if ! dpkg -s "$package" >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || { echo "needs $package: run as root or apt-get install it" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$package" >/dev/null
  fi
done
cargo build --release -q -p refuge-cli
BIN="$CARGO_TARGET_DIR/release/refuge"

WORK=$(mktemp -d /var/tmp/refuge-shared.XXXXXX)
PGDIR=$(mktemp -d /var/tmp/refuge-shared-pg.XXXXXX)
A_PORT=18280 B_PORT=18281 S_PORT=18282
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -CONT "$pid" 2>/dev/null; kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for log in "$WORK"/*.log; do
    if grep -q -i "panicked" "$log"; then echo "--- $log" >&2; grep -i -A5 "panicked" "$log" >&2; fi
  done
  ./scripts/postgres.sh stop "$PGDIR"
  rm -rf "$WORK" "$PGDIR"
}
trap cleanup EXIT
settings=$(REFUGE_PG_PORT=18452 ./scripts/postgres.sh start "$PGDIR")
PG=$(sed -n 's/^REFUGE_TEST_POSTGRES=//p' <<<"$settings")

# --- The data ----------------------------------------------------------------------------------
python3 - "$GEONAMES" "$WORK" <<'PY'
import csv, gzip, random, sys, math
source, work = sys.argv[1:]
rng = random.Random(9)
places = list(csv.DictReader(gzip.open(source, "rt", encoding="utf-8")))
with open(f"{work}/facilities.csv", "w") as out:
    out.write("source_id,name,lon,lat,capacity,suitable_for,status\n")
    for n, place in enumerate(places, 1):
        name = place["name"].replace(",", " ").replace('"', "")
        out.write(f"g{n},{name},{place['lon']},{place['lat']},{rng.randrange(50, 5000)},earthquake,open\n")
largest = sorted(places, key=lambda p: -int(p["population"] or 0))[:20]
def tile(lon, lat, z):
    k = 2 ** z
    lat = math.radians(max(min(lat, 85.0511), -85.0511))
    return int((lon + 180) / 360 * k), int((1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * k)
with open(f"{work}/tiles", "w") as tiles:
    for p in largest:
        for z in (12, 13, 14):
            x, y = tile(float(p["lon"]), float(p["lat"]), z)
            tiles.write(f"/tiles/facilities/{z}/{x}/{y}.mvt\n")
with open(f"{work}/nearest", "w") as nearest:
    for _ in range(5000):
        nearest.write(f"/api/v1/nearest?lon={rng.uniform(-180, 180):.5f}&lat={rng.uniform(-60, 70):.5f}&k=5\n")
PY
"$BIN" import "$WORK/facilities.csv" --kind shelter --store "$WORK/refuge.db" >"$WORK/import.log" 2>&1
began=$(date +%s.%N)
"$BIN" store copy --from "$WORK/refuge.db" --to "$PG" 2>"$WORK/copy.log"
COPY_S=$(python3 -c "import time; print(f'{time.time() - $began:.0f}')")
TOKEN=$("$BIN" token create --role logistics --name shared-bench --store "$PG" 2>/dev/null)
cat >"$WORK/refuge.toml" <<TOML
writes_per_minute = 100000000
TOML

wait_for() { # wait_for URL LOG
  for _ in $(seq 1 3000); do curl -sf -o /dev/null "$1" && return; sleep 0.05; done
  echo "no answer from $1:" >&2; tail -20 "$2" >&2; exit 1
}
start() { # start NAME STORE PORT → sets PID_<NAME>, START_<NAME>
  local began; began=$(date +%s.%N)
  "$BIN" serve --store "$2" --bind "127.0.0.1:$3" --config "$WORK/refuge.toml" >"$WORK/$1.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  wait_for "http://127.0.0.1:$3/healthz" "$WORK/$1.log"
  printf -v "PID_$1" '%s' "$pid"
  printf -v "START_$1" '%s' "$(python3 -c "import time; print(f'{time.time() - $began:.1f}')")"
}
start A "$PG" $A_PORT
start B "$PG" $B_PORT
start S "$WORK/refuge.db" $S_PORT

rps() { # rps PORT URLFILE → requests/s (wrk, 2 threads, 10 connections)
  URLS="$2" wrk -t2 -c10 -d"$DURATION" -s bench/urls.lua "http://127.0.0.1:$1" 2>&1 |
    awk '/Requests\/sec/ {printf "%.0f", $2}'
}
warm() { while read -r path; do curl -s -o /dev/null "http://127.0.0.1:$1$path"; done <"$2"; }
NEAREST_PG=$(rps $A_PORT "$WORK/nearest")
NEAREST_SQLITE=$(rps $S_PORT "$WORK/nearest")
warm $A_PORT "$WORK/tiles"
warm $S_PORT "$WORK/tiles"
TILES_PG=$(rps $A_PORT "$WORK/tiles")
TILES_SQLITE=$(rps $S_PORT "$WORK/tiles")

echo
echo "## Refuge servers sharing one PostgreSQL store: $(($(wc -l <"$WORK/facilities.csv") - 1)) facilities ($(date -u +%F), $(nproc) cores)"
echo
echo "| measure | PostgreSQL store | SQLite store | ratio |"
echo "|---|---:|---:|---:|"
echo "| start from the store (s) | $START_A | $START_S | |"
echo "| nearest k=5, wrk 2 threads 10 connections $DURATION (req/s) | $NEAREST_PG | $NEAREST_SQLITE | $(python3 -c "print(f'{$NEAREST_PG / max($NEAREST_SQLITE, 1):.2f}')") |"
echo "| cached tiles z12–14, identity (req/s) | $TILES_PG | $TILES_SQLITE | $(python3 -c "print(f'{$TILES_PG / max($TILES_SQLITE, 1):.2f}')") |"
echo
echo "Copying the SQLite store into PostgreSQL (\`refuge store copy\`): $COPY_S s."
echo
python3 bench/shared.py --a "$A_PORT" --b "$B_PORT" --token "$TOKEN" --b-pid "$PID_B" \
  --restart "$BIN serve --store $PG --bind 127.0.0.1:$B_PORT --config $WORK/refuge.toml" --work "$WORK"
