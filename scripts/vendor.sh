#!/usr/bin/env bash
# Refreshes the JavaScript built into `refuge` (web/vendor/) from the versions pinned in
# web/package.json and web/package-lock.json: MapLibre GL JS (the map), pmtiles (maps read from one
# archive, in offline packages) and qrcode-generator (the QR code of a printed map). The page needs
# no Node.js at run time; npm is used here, and by the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --prefix web --no-audit --no-fund --loglevel=error

version() { node -p "require('./web/node_modules/$1/package.json').version"; }
note() { # folder, what it is, licence
  printf '%s, from the npm package %s (%s).\nRefreshed by scripts/vendor.sh; built into the refuge binary.\n' "$2" "$(basename "$1")" "$3" >"$1/README.md"
  echo "$1: $2"
}

to=web/vendor/maplibre-gl
mkdir -p "$to"
cp web/node_modules/maplibre-gl/dist/maplibre-gl.{js,css} web/node_modules/maplibre-gl/LICENSE.txt "$to/"
note "$to" "MapLibre GL JS $(version maplibre-gl)" "BSD-3-Clause, see LICENSE.txt"

to=web/vendor/pmtiles
mkdir -p "$to"
cp web/node_modules/pmtiles/dist/pmtiles.js "$to/"
note "$to" "PMTiles for JavaScript $(version pmtiles) by Protomaps" "BSD-3-Clause"

to=web/vendor/qrcode-generator
mkdir -p "$to"
cp web/node_modules/qrcode-generator/dist/qrcode.mjs "$to/"
note "$to" "QR Code Generator $(version qrcode-generator) by Kazuhiko Arase" "MIT, notice at the top of qrcode.mjs"
