#!/usr/bin/env bash
# Refreshes the MapLibre GL JS files built into `refuge` (web/vendor/maplibre-gl/) from the version
# pinned in web/package.json and web/package-lock.json. The map page needs no Node.js at run time;
# npm is used here, and by the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --prefix web --no-audit --no-fund --loglevel=error
from=web/node_modules/maplibre-gl
to=web/vendor/maplibre-gl
mkdir -p "$to"
cp "$from/dist/maplibre-gl.js" "$from/dist/maplibre-gl.css" "$from/LICENSE.txt" "$to/"
version=$(node -p "require('./$from/package.json').version")
printf 'MapLibre GL JS %s, from the npm package maplibre-gl (BSD-3-Clause, see LICENSE.txt).\nRefreshed by scripts/vendor-maplibre.sh; built into the refuge binary.\n' "$version" >"$to/README.md"
echo "web/vendor/maplibre-gl: MapLibre GL JS $version"
