//! The `coverage` tileset: populated H3 cells, each with how far its people are from the nearest
//! shelter in service, the share within a shelter's service radius, and the people without a
//! place (see `refuge_core::planning::coverage`). Coarser cells, summing the finer ones they
//! hold, at lower zooms. Empty without a population layer.

use geo::{LineString, Polygon};
use mvt::Tile;
use refuge_core::planning::CoverageMap;

use crate::encode::{LayerWriter, Properties, Value};
use crate::projection::{EXTENT, TileFrame, world};
use crate::{Cancel, Result, TileCoord};

/// The H3 resolution of coverage cells at a zoom (cells of about 20 pixels across or more),
/// at most the layer's own.
pub fn resolution(z: u8, finest: u8) -> u8 {
    z.saturating_sub(4).min(finest)
}

/// Encodes the `coverage` tile: one polygon per populated H3 cell reaching into it.
pub fn coverage_tile(
    map: Option<&CoverageMap>,
    tile: TileCoord,
    tolerance: f64,
    cancel: &Cancel,
) -> Result<Vec<u8>> {
    cancel.check()?;
    let mut mvt_tile = Tile::new(EXTENT);
    if let Some(map) = map {
        let frame = TileFrame::new(tile);
        let mut layer = LayerWriter::new(&mvt_tile, "cells", tolerance);
        let resolution = resolution(tile.z(), map.resolution());
        for (cell, figures) in map.cells_within(resolution, frame.lon_lat_bounds()) {
            cancel.check()?;
            let ring: LineString = cell
                .boundary()
                .iter()
                .map(|vertex| frame.grid(world(vertex.lng(), vertex.lat())))
                .collect();
            let mut props: Properties = vec![
                ("cell", Value::from(cell.to_string())),
                ("people", Value::from(figures.people.round())),
                (
                    "covered_share",
                    Value::from((figures.covered_share() * 1000.0).round() / 1000.0),
                ),
                ("unprovided", Value::from(figures.unprovided().round())),
            ];
            if let Some(metres) = figures.distance_m() {
                props.push(("distance_m", Value::from(metres.round())));
            }
            layer.geometry(&Polygon::new(ring, vec![]).into(), u64::from(cell), &props)?;
        }
        layer.finish(&mut mvt_tile)?;
    }
    mvt_tile
        .to_bytes()
        .map_err(|e| crate::Error::Encode(e.to_string()))
}
