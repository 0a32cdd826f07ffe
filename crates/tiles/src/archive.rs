//! One PMTiles v3 archive of an area, for a map that needs no server: each tile holds the base
//! map's layers and the facilities' layers together, so one `pmtiles://` source draws the whole
//! style.
//!
//! A Mapbox Vector Tile is a protobuf message whose only field is its repeated `layers`, and
//! protobuf merges repeated fields of concatenated messages: the base tile's bytes followed by the
//! facilities tile's bytes are one valid tile with the layers of both (their names differ).

use std::io::{Seek, Write};
use std::ops::RangeInclusive;

use pmtiles::{PmTilesWriter, TileId, TileType};
use serde_json::json;

use crate::{Error, Result, Sources, TileCoord, Tileset};

/// The most tiles one archive may hold: a whole city (Beijing's 16,000 km² to zoom 16 is about
/// 80,000 tiles) fits, a country does not.
pub const ARCHIVE_TILE_LIMIT: u64 = 250_000;

/// What an archive is of: an area, its zoom levels, and how to credit and date it.
#[derive(Debug, Clone)]
pub struct ArchiveArea {
    /// West, south, east, north in degrees.
    pub bounds: [f64; 4],
    /// The zoom levels it holds; a map overzooms past the last.
    pub zooms: RangeInclusive<u8>,
    /// The archive's name, shown by tools that read it.
    pub name: String,
    /// Who the data comes from.
    pub attribution: String,
    /// The data version it was made from.
    pub version: u64,
    /// When it was made (RFC 3339).
    pub made_at: String,
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveSummary {
    /// Tiles of the area, empty ones included.
    pub tiles: u64,
    /// Tiles with at least one feature (the others are left out of the archive).
    pub with_features: u64,
}

/// How many tiles cover `bounds` at `zooms`, counted without making them.
pub fn archive_tile_count(bounds: [f64; 4], zooms: RangeInclusive<u8>) -> u64 {
    let [west, south, east, north] = bounds;
    zooms
        .map(|z| {
            let span = |low: u32, high: u32| u64::from(high.abs_diff(low)) + 1;
            let corner = |lon: f64, lat: f64| {
                TileCoord::covering([lon, lat, lon, lat], z..=z)
                    .next()
                    .map(|t| (t.x(), t.y()))
                    .unwrap_or_default()
            };
            let (x0, y0) = corner(west, north);
            let (x1, y1) = corner(east, south);
            span(x0, x1) * span(y0, y1)
        })
        .sum()
}

/// Writes the base map and facilities of `area` into one PMTiles archive: gzip-compressed MVT,
/// tiles in the archive's Hilbert order, identical tiles stored once, and the `vector_layers` of
/// both tilesets in its metadata. Refuses an area of more than [`ARCHIVE_TILE_LIMIT`] tiles or a
/// zoom above the tilesets' maxzoom, naming the count and the limit.
pub fn write_archive<W: Write + Seek>(
    sources: Sources<'_>,
    area: &ArchiveArea,
    out: W,
) -> Result<ArchiveSummary> {
    let maxzoom = Tileset::Facilities.maxzoom().min(Tileset::Base.maxzoom());
    if area.zooms.is_empty() || *area.zooms.end() > maxzoom {
        return Err(Error::Coordinate {
            parameter: "zoom",
            message: format!(
                "zooms {}–{}: an archive holds zooms 0 to {maxzoom}, lowest first (a map overzooms past its last)",
                area.zooms.start(),
                area.zooms.end()
            ),
        });
    }
    let tiles = archive_tile_count(area.bounds, area.zooms.clone());
    if tiles > ARCHIVE_TILE_LIMIT {
        return Err(Error::TooManyTiles {
            tiles,
            limit: ARCHIVE_TILE_LIMIT,
        });
    }
    let mut coords: Vec<(u64, TileCoord)> = TileCoord::covering(area.bounds, area.zooms.clone())
        .map(|tile| Ok((archive_id(tile)?, tile)))
        .collect::<Result<_>>()?;
    coords.sort_unstable_by_key(|(id, _)| *id);

    let [west, south, east, north] = area.bounds;
    let vector_layers: Vec<_> = [Tileset::Base, Tileset::Facilities]
        .into_iter()
        .flat_map(Tileset::vector_layers)
        .collect();
    let metadata = json!({
        "name": area.name,
        "description": "Emergency shelters, reserves and hazards over the base map, made by Refuge",
        "attribution": area.attribution,
        "version": area.version.to_string(),
        "made_at": area.made_at,
        "vector_layers": vector_layers,
    });
    let mut writer = PmTilesWriter::new(TileType::Mvt)
        .min_zoom(*area.zooms.start())
        .max_zoom(*area.zooms.end())
        .bounds(west, south, east, north)
        .center((west + east) / 2.0, (south + north) / 2.0)
        .center_zoom((*area.zooms.end()).min(14))
        .metadata(metadata.to_string())
        .create(out)
        .map_err(archive_error)?;
    let mut with_features = 0;
    for (_, tile) in coords {
        let mut bytes = crate::encode(Tileset::Base, tile, sources)?;
        bytes.extend(crate::encode(Tileset::Facilities, tile, sources)?);
        if !bytes.is_empty() {
            with_features += 1;
            writer
                .add_tile(
                    pmtiles::TileCoord::new(tile.z(), tile.x(), tile.y()).map_err(archive_error)?,
                    &bytes,
                )
                .map_err(archive_error)?;
        }
    }
    writer.finalize().map_err(archive_error)?;
    Ok(ArchiveSummary {
        tiles,
        with_features,
    })
}

/// A tile's place along the archive's Hilbert curve.
fn archive_id(tile: TileCoord) -> Result<u64> {
    let coord = pmtiles::TileCoord::new(tile.z(), tile.x(), tile.y()).map_err(archive_error)?;
    Ok(TileId::from(coord).value())
}

fn archive_error(error: pmtiles::PmtError) -> Error {
    Error::Archive(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tile_count_is_the_number_of_tiles_covering_the_area() {
        for (bounds, zooms) in [
            ([7.40, 43.72, 7.45, 43.76], 10..=16),
            ([116.0, 39.6, 116.8, 40.2], 8..=14),
            ([-0.2, 51.4, 0.1, 51.6], 0..=12),
            ([7.4, 43.7, 7.4, 43.7], 16..=16),
        ] {
            assert_eq!(
                archive_tile_count(bounds, zooms.clone()),
                TileCoord::covering(bounds, zooms.clone()).count() as u64,
                "{bounds:?} {zooms:?}"
            );
        }
    }
}
