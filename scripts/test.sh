#!/usr/bin/env bash
# Every test of Refuge: the Rust workspace, then the map page in headless Chromium against the
# real server, which this script starts on loopback and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"

# Debian's Chromium drives the browser tests (playwright cannot download its own browser here);
# a small CJK font lets the page's Chinese labels render in screenshots; GDAL's ogrinfo reads the
# PostgreSQL store's layers as QGIS does; PROJ's cs2cs checks Refuge's projections; poppler's
# pdftotext and pdftoppm read the printed map back.
# The `gdal` feature builds against the system's GDAL (libgdal-dev, found by pkg-config).
if ! command -v chromium >/dev/null || ! command -v curl >/dev/null || ! command -v ogrinfo >/dev/null || ! command -v cs2cs >/dev/null || ! command -v pdftoppm >/dev/null || ! command -v pkg-config >/dev/null || ! pkg-config --exists gdal || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei curl gdal-bin proj-bin libgdal-dev pkg-config poppler-utils >/dev/null
  else
    echo "the tests need Debian's chromium, a CJK font, curl, gdal-bin, proj-bin, libgdal-dev, pkg-config and poppler-utils: sudo apt-get install chromium fonts-wqy-microhei curl gdal-bin proj-bin libgdal-dev pkg-config poppler-utils" >&2
    exit 1
  fi
fi

# A private PostgreSQL + PostGIS primary and streaming standby on loopback: the store suite runs
# on both backends, and several real servers share one database. CI must not skip these.
pgdata=$(mktemp -d /var/tmp/refuge-test-pg.XXXXXX)
stop_postgres() { ./scripts/postgres.sh stop "$pgdata"; rm -rf "$pgdata"; }
trap stop_postgres EXIT
settings=$(REFUGE_PG_PORT="${REFUGE_PG_PORT:-18442}" ./scripts/postgres.sh start "$pgdata")
for setting in $settings; do export "${setting?}"; done
export REFUGE_REQUIRE_POSTGRES=1
export REFUGE_REQUIRE_PROJ=1

cargo test --workspace
# Again with GDAL built in: its formats, and everything built on refuge-io with them.
cargo test --workspace --features refuge-cli/gdal

npm ci --prefix web --no-audit --no-fund --loglevel=error
cargo build -q -p refuge-cli
work=$(mktemp -d)
port="${REFUGE_TEST_PORT:-18090}"
refuge="$CARGO_TARGET_DIR/debug/refuge"
servers=()
trap 'for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; stop_postgres' EXIT

# Starts `refuge serve --store STORE` on PORT (the page built in) and waits until it answers.
serve() { # serve STORE PORT
  "$refuge" serve --store "$1" --bind "127.0.0.1:$2" >"$1.log" 2>&1 &
  servers+=($!)
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$2/healthz" >/dev/null && return
    kill -0 "${servers[-1]}" 2>/dev/null || { cat "$1.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "refuge serve did not answer on port $2" >&2; cat "$1.log" >&2; exit 1
}

# The demo city on a fresh store, and logistics and planner tokens for the tests that write; a
# population over it (a synthetic grid, tests/fixtures) for the planner's coverage and scenarios.
token=$("$refuge" token create --role logistics --name "browser tests" --store "$work/refuge.db" 2>/dev/null)
planner=$("$refuge" token create --role planner --name "browser tests" --store "$work/refuge.db" 2>/dev/null)
admin=$("$refuge" token create --role admin --name "browser tests" --store "$work/refuge.db" 2>/dev/null)
"$refuge" population import tests/fixtures/population-monaco.csv --store "$work/refuge.db" >/dev/null
serve "$work/refuge.db" "$port"

# Thin real data: Beijing's shelters imported with no status or capacity (all on standby).
beijing=../shared/data/cn/shelters-beijing-gcj02.csv
if [ -f "$beijing" ]; then
  "$refuge" import "$beijing" --crs gcj02 --kind shelter --store "$work/thin.db" >/dev/null
  serve "$work/thin.db" "$((port + 1))"
  export REFUGE_THIN_URL="http://127.0.0.1:$((port + 1))"
else
  echo "SKIPPED: the thin-data browser tests ($beijing is absent)"
fi

REFUGE_BIN="$refuge" REFUGE_URL="http://127.0.0.1:$port" REFUGE_TOKEN="$token" REFUGE_PLANNER_TOKEN="$planner" REFUGE_ADMIN_TOKEN="$admin" npm test --prefix web

# The HTTP API against its own generated OpenAPI document, with a token of every role.
./scripts/schemathesis.sh
