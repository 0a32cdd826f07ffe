//! The `coverage` tileset: H3 cells with shelter figures. The analysis that fills it with
//! coverage and population comes with the planning issue; this is the plumbing.

use geo::{LineString, Polygon};
use mvt::Tile;
use refuge_core::{FacilityId, FacilityKind, Filter, SpatialIndex};

use crate::encode::{LayerWriter, Properties, Value};
use crate::projection::{EXTENT, TileFrame, world};
use crate::{Cancel, Result, TileCoord};

/// The H3 resolution of coverage cells at a zoom.
fn resolution(z: u8) -> u8 {
    z.saturating_sub(4).clamp(0, 9)
}

/// Encodes the `coverage` tile: one polygon per H3 cell holding shelters.
pub fn coverage_tile(
    index: &SpatialIndex,
    tile: TileCoord,
    tolerance: f64,
    cancel: &Cancel,
) -> Result<Vec<u8>> {
    let frame = TileFrame::new(tile);
    let shelters = Filter::default().kind(FacilityKind::Shelter);
    let stats = index.cell_stats(
        resolution(tile.z()),
        Some(frame.lon_lat_bounds()),
        &shelters,
    )?;
    let mut mvt_tile = Tile::new(EXTENT);
    let mut layer = LayerWriter::new(&mvt_tile, "cells", tolerance);
    for (cell, stat) in stats {
        cancel.check()?;
        let ring: LineString = cell
            .boundary()
            .iter()
            .map(|vertex| frame.grid(world(vertex.lng(), vertex.lat())))
            .collect();
        let polygon = Polygon::new(ring, vec![]);
        let props: Properties = vec![
            ("cell", Value::from(cell.to_string())),
            ("shelters", Value::from(stat.count)),
            ("capacity", Value::from(stat.capacity)),
            (
                "available",
                Value::from(stat.capacity.saturating_sub(stat.occupancy)),
            ),
        ];
        layer.geometry(
            &polygon.into(),
            FacilityId::from_bits(u64::from(cell)).get(),
            &props,
        )?;
    }
    layer.finish(&mut mvt_tile)?;
    mvt_tile
        .to_bytes()
        .map_err(|e| crate::Error::Encode(e.to_string()))
}
