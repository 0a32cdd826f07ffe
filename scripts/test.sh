#!/usr/bin/env bash
# Every test of Refuge: the Rust workspace, then the map page in headless Chromium against the
# real server, which this script starts on loopback and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"

# Debian's Chromium drives the browser tests (playwright cannot download its own browser here);
# a small CJK font lets the page's Chinese labels render in screenshots.
if ! command -v chromium >/dev/null || ! command -v curl >/dev/null || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei curl >/dev/null
  else
    echo "the browser tests need Debian's chromium, a CJK font and curl: sudo apt-get install chromium fonts-wqy-microhei curl" >&2
    exit 1
  fi
fi

cargo test --workspace

npm ci --prefix web --no-audit --no-fund --loglevel=error
cargo build -q -p refuge-cli
work=$(mktemp -d)
port="${REFUGE_TEST_PORT:-18090}"
refuge="$CARGO_TARGET_DIR/debug/refuge"
# A fresh store (seeded with the demo city) and a logistics token for the live-update test.
token=$("$refuge" token create --role logistics --name "browser tests" --store "$work/refuge.db" 2>/dev/null)
"$refuge" serve --store "$work/refuge.db" --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.2
done
REFUGE_URL="http://127.0.0.1:$port" REFUGE_TOKEN="$token" npm test --prefix web
