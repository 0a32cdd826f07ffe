#!/usr/bin/env bash
# Refuge side by side with the usual stack, on this machine, on the same data, in one run:
# PostgreSQL 15 + PostGIS 3 (KNN with a GiST index, through pgbench with a prepared statement) and
# Martin 1.14 (vector tiles from the same PostGIS table). Prints ratios as a Markdown table, then
# Refuge's write figures: write → visible latency, a write storm with readers running, memory.
#
#   bench/versus.sh               (as root on a fresh machine: installs what it needs; ~20 minutes)
#   COPIES=74 bench/versus.sh     (10M facilities instead of 1.08M; needs ~16 GB and an hour)
#
# Data: the 135,233 GeoNames places of ../shared/data/bench, each with COPIES - 1 seeded copies
# jittered by up to ±0.05°, as shelters. Every server binds to 127.0.0.1 and every load run stops
# by itself. PostgreSQL runs as a private cluster in a temporary folder and is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
GEONAMES=../shared/data/bench/geonames-cities-135k.csv.gz
[ -f "$GEONAMES" ] || { echo "SKIPPED: $GEONAMES is absent" >&2; exit 0; }
COPIES=${COPIES:-8}
DURATION=${DURATION:-15s}
BROWSER="gzip, deflate, br"

# --- The peers -------------------------------------------------------------------------------
missing=()
for package in postgresql-15-postgis-3 wrk python3 curl; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "needs ${missing[*]}: run as root or apt-get install them" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi
MARTIN_ROOT=${MARTIN_ROOT:-/var/tmp/martin/root}
MARTIN="$MARTIN_ROOT/bin/martin"
if ! [ -x "$MARTIN" ] || ! "$MARTIN" --version | grep -q "1.14.0"; then
  echo "building Martin 1.14.0 (once; about 15 minutes on 2 cores)" >&2
  cargo install martin --version 1.14.0 --locked --no-default-features --features postgres \
    --root "$MARTIN_ROOT" -q
fi
cargo build --release -q -p refuge-cli
BIN="$CARGO_TARGET_DIR/release/refuge"
PGBIN=/usr/lib/postgresql/15/bin

WORK=$(mktemp -d /var/tmp/refuge-versus.XXXXXX)
chmod 755 "$WORK"
REFUGE_PORT=18180 MARTIN_PORT=18181 PG_PORT=18182
SERVER="" MARTIN_PID=""
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null
  [ -n "$MARTIN_PID" ] && kill "$MARTIN_PID" 2>/dev/null
  [ -f "$WORK/pg/postmaster.pid" ] && as_postgres "$PGBIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
wait_for() { # wait_for URL LOG
  for _ in $(seq 1 3000); do curl -sf -o /dev/null "$1" && return; sleep 0.1; done
  echo "no answer from $1:" >&2; tail -20 "$2" >&2; exit 1
}
rss_mb() { awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

# --- The data --------------------------------------------------------------------------------
python3 - "$GEONAMES" "$COPIES" "$WORK" <<'PY'
import csv, gzip, random, sys
source, copies, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(9)
places = list(csv.DictReader(gzip.open(source, "rt", encoding="utf-8")))
n = 0
with open(f"{work}/facilities.csv", "w") as out, open(f"{work}/facilities.tsv", "w") as tsv:
    out.write("source_id,name,lon,lat,capacity,suitable_for,status\n")
    for copy in range(copies):
        for place in places:
            lon, lat = float(place["lon"]), float(place["lat"])
            if copy:
                lon = max(-180.0, min(180.0, lon + rng.uniform(-0.05, 0.05)))
                lat = max(-85.0, min(85.0, lat + rng.uniform(-0.05, 0.05)))
            n += 1
            name = f"{place['name']} {copy}".replace(",", " ").replace("\t", " ").replace('"', "")
            capacity = rng.randrange(50, 5000)
            out.write(f"g{n},{name},{lon:.6f},{lat:.6f},{capacity},earthquake,open\n")
            tsv.write(f"{n}\t{name}\tSRID=4326;POINT({lon:.6f} {lat:.6f})\t{capacity}\n")
# The 20 largest places: tiles z12–z14, the 3 × 3 tiles around each.
import math
largest = sorted(places, key=lambda p: -int(p["population"] or 0))[:20]
def tile(lon, lat, z):
    k = 2 ** z
    lat = math.radians(max(min(lat, 85.0511), -85.0511))
    return int((lon + 180) / 360 * k), int((1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * k)
with open(f"{work}/tiles", "w") as tiles, open(f"{work}/places", "w") as where:
    for p in largest:
        where.write(f"{p['lon']} {p['lat']}\n")
        for z in (12, 13, 14):
            x, y = tile(float(p["lon"]), float(p["lat"]), z)
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    tiles.write(f"{z}/{x + dx}/{y + dy}\n")
# Random points worldwide (inhabited latitudes), the same for both.
with open(f"{work}/nearest", "w") as nearest:
    for _ in range(5000):
        nearest.write(f"/api/v1/nearest?lon={rng.uniform(-180, 180):.5f}&lat={rng.uniform(-60, 70):.5f}&k=5\n")
print(f"{n} facilities", file=sys.stderr)
PY
FACILITIES=$(($(wc -l <"$WORK/facilities.tsv")))
sed 's|^|/tiles/facilities/|; s|$|.mvt|' "$WORK/tiles" >"$WORK/refuge-tiles"
sed 's|^|/facilities/|' "$WORK/tiles" >"$WORK/martin-tiles"

# --- Refuge: import, then start ----------------------------------------------------------------
cat >"$WORK/refuge.toml" <<TOML
writes_per_minute = 100000000
failed_sign_ins_per_minute = 1000
TOML
started=$(date +%s.%N)
"$BIN" import "$WORK/facilities.csv" --kind shelter --store "$WORK/refuge.db" >"$WORK/import.log" 2>&1
IMPORT_S=$(python3 -c "import time; print(f'{time.time() - $started:.0f}')")
TOKEN=$("$BIN" token create --role logistics --name versus --store "$WORK/refuge.db" 2>/dev/null)
start_refuge() { # start_refuge [serve args…] → sets SERVER, START_S
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true
  local began; began=$(date +%s.%N)
  "$BIN" serve --store "$WORK/refuge.db" --bind "127.0.0.1:$REFUGE_PORT" --config "$WORK/refuge.toml" "$@" >"$WORK/serve.log" 2>&1 &
  SERVER=$!
  wait_for "http://127.0.0.1:$REFUGE_PORT/healthz" "$WORK/serve.log"
  START_S=$(python3 -c "import time; print(f'{time.time() - $began:.1f}')")
}

# --- PostgreSQL + PostGIS: a private cluster on loopback ---------------------------------------
install -d -o postgres -m 700 "$WORK/pg" 2>/dev/null || mkdir -p "$WORK/pg"
as_postgres "$PGBIN/initdb" -D "$WORK/pg" -A trust -U postgres >/dev/null
as_postgres "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/log" -w start \
  -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $WORK/pg -c shared_buffers=1GB -c max_connections=50" >/dev/null
PSQL=(psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres)
"${PSQL[@]}" -c "CREATE DATABASE versus" >/dev/null
chmod 644 "$WORK/facilities.tsv"
"${PSQL[@]}" -d versus >/dev/null <<SQL
CREATE EXTENSION postgis;
CREATE TABLE facilities (
  id bigint PRIMARY KEY, name text NOT NULL, geom geometry(Point, 4326) NOT NULL,
  capacity integer, status text NOT NULL DEFAULT 'open', occupancy integer NOT NULL DEFAULT 0);
\copy facilities (id, name, geom, capacity) FROM '$WORK/facilities.tsv'
CREATE INDEX facilities_geom ON facilities USING gist (geom);
VACUUM ANALYZE facilities;
SQL
PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/versus"
cat >"$WORK/knn.sql" <<'SQL'
\set x random(-180000000, 180000000)
\set y random(-60000000, 70000000)
SELECT id, name, ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(:x::float8 / 1e6, :y::float8 / 1e6), 4326)::geography) AS metres
FROM facilities ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:x::float8 / 1e6, :y::float8 / 1e6), 4326) LIMIT 5;
SQL
start_martin() { # start_martin [martin args…]
  [ -n "$MARTIN_PID" ] && kill "$MARTIN_PID" 2>/dev/null && wait "$MARTIN_PID" 2>/dev/null || true
  "$MARTIN" --listen-addresses "127.0.0.1:$MARTIN_PORT" --auto-bounds skip "$@" "$PG_URL" >"$WORK/martin.log" 2>&1 &
  MARTIN_PID=$!
  wait_for "http://127.0.0.1:$MARTIN_PORT/health" "$WORK/martin.log"
}

# --- Measures ----------------------------------------------------------------------------------
rps() { # rps PORT URLFILE ACCEPT → requests/s (wrk, 2 threads, 10 connections)
  URLS="$2" ACCEPT="$3" wrk -t2 -c10 -d"$DURATION" -s bench/urls.lua "http://127.0.0.1:$1" 2>&1 |
    awk '/Requests\/sec/ {printf "%.0f", $2}'
}
warm() { # warm PORT URLFILE: every tile once as it is and once compressed
  while read -r path; do
    curl -s -o /dev/null "http://127.0.0.1:$1$path"
    curl -s -o /dev/null -H "Accept-Encoding: $BROWSER" "http://127.0.0.1:$1$path"
  done <"$2"
}
ratio() { python3 -c "print(f'{$1 / max($2, 1):.1f}')"; }
declare -A R

start_refuge
R[refuge_start]=$START_S
R[refuge_rss]=$(rss_mb "$SERVER")
R[refuge_nearest]=$(rps $REFUGE_PORT "$WORK/nearest" "")
pg2=$(pgbench -h 127.0.0.1 -p "$PG_PORT" -U postgres -n -M prepared -c 2 -j 2 -T "${DURATION%s}" -f "$WORK/knn.sql" versus 2>/dev/null | awk '/^tps/ {printf "%.0f", $3}')
pg10=$(pgbench -h 127.0.0.1 -p "$PG_PORT" -U postgres -n -M prepared -c 10 -j 2 -T "${DURATION%s}" -f "$WORK/knn.sql" versus 2>/dev/null | awk '/^tps/ {printf "%.0f", $3}')
R[pg_nearest]=$(( pg2 > pg10 ? pg2 : pg10 ))
warm $REFUGE_PORT "$WORK/refuge-tiles"
R[refuge_cached_id]=$(rps $REFUGE_PORT "$WORK/refuge-tiles" "")
R[refuge_cached_br]=$(rps $REFUGE_PORT "$WORK/refuge-tiles" "$BROWSER")
start_martin --cache-size 512
warm $MARTIN_PORT "$WORK/martin-tiles"
R[martin_cached_id]=$(rps $MARTIN_PORT "$WORK/martin-tiles" "")
R[martin_cached_br]=$(rps $MARTIN_PORT "$WORK/martin-tiles" "$BROWSER")
R[martin_rss]=$(rss_mb "$MARTIN_PID")
start_martin --cache-size 0
R[martin_uncached_id]=$(rps $MARTIN_PORT "$WORK/martin-tiles" "")
R[martin_uncached_br]=$(rps $MARTIN_PORT "$WORK/martin-tiles" "$BROWSER")
kill "$MARTIN_PID"; wait "$MARTIN_PID" 2>/dev/null || true; MARTIN_PID=""
start_refuge --tile-cache-mb 0
R[refuge_uncached_id]=$(rps $REFUGE_PORT "$WORK/refuge-tiles" "")
R[refuge_uncached_br]=$(rps $REFUGE_PORT "$WORK/refuge-tiles" "$BROWSER")
R[pg_pss]=$(cat /proc/$(head -1 "$WORK/pg/postmaster.pid")/task/*/children 2>/dev/null | xargs -r -n1 sh -c 'awk "/^Pss:/ {s+=\$2} END {print s}" /proc/$0/smaps_rollup' 2>/dev/null | awk '{s+=$1} END {printf "%.0f", s / 1024}')

echo
echo "## Refuge against PostGIS and Martin: $FACILITIES facilities ($(date -u +%F), $(nproc) cores)"
echo
echo "| measure (wrk 2 threads, 10 connections, $DURATION; pgbench the better of 2 and 10 clients) | anchor | Refuge | ratio | goal |"
echo "|---|---:|---:|---:|---|"
echo "| nearest k=5, random points worldwide | PostGIS KNN ${R[pg_nearest]} tps | ${R[refuge_nearest]} req/s | $(ratio "${R[refuge_nearest]}" "${R[pg_nearest]}")× | ≥ 3× |"
echo "| tiles z12–14 cached, browser encodings | Martin ${R[martin_cached_br]} | ${R[refuge_cached_br]} | $(ratio "${R[refuge_cached_br]}" "${R[martin_cached_br]}")× | ≥ 10× |"
echo "| tiles z12–14 cached, identity | Martin ${R[martin_cached_id]} | ${R[refuge_cached_id]} | $(ratio "${R[refuge_cached_id]}" "${R[martin_cached_id]}")× | — |"
echo "| tiles z12–14 uncached, identity | Martin ${R[martin_uncached_id]} | ${R[refuge_uncached_id]} | $(ratio "${R[refuge_uncached_id]}" "${R[martin_uncached_id]}")× | ≥ 5× |"
echo "| tiles z12–14 uncached, browser encodings | Martin ${R[martin_uncached_br]} | ${R[refuge_uncached_br]} | $(ratio "${R[refuge_uncached_br]}" "${R[martin_uncached_br]}")× | ≥ 5× |"
echo "| memory (MB) | PostgreSQL ${R[pg_pss]} (PSS) + Martin ${R[martin_rss]} (RSS) | ${R[refuge_rss]} (RSS) | | |"
echo
echo "Refuge: import ${IMPORT_S} s, start from the store ${R[refuge_start]} s."

# --- Writes: visible at once, a storm with readers, and Martin over PostGIS ---------------------
start_refuge
python3 bench/writes.py --port "$REFUGE_PORT" --token "$TOKEN" --pid "$SERVER" --places "$WORK/places" \
  --martin "$MARTIN" --pg-url "$PG_URL" --martin-port "$MARTIN_PORT" --work "$WORK"
