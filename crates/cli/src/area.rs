//! The area a printed sheet or an offline package shows: a box, or a community of the base map by
//! name.

use std::borrow::Cow;

use anyhow::{Context, Result};
use geo::BoundingRect;
use refuge_core::BBox;
use refuge_tiles::BaseMap;

/// West, south, east and north, and the community's name when the area is one.
pub struct Area {
    pub bounds: [f64; 4],
    pub community: Option<String>,
}

/// The area of `--bbox`, or of `--community` (an administrative area of the base map `base`
/// gives, asked for only then). `what` says what is made of it, for the antimeridian message.
pub fn area<'a>(
    bbox: Option<BBox>,
    community: Option<&str>,
    what: &str,
    base: impl FnOnce() -> Result<Cow<'a, BaseMap>>,
) -> Result<Area> {
    if let Some(bbox) = bbox {
        anyhow::ensure!(
            !bbox.crosses_antimeridian(),
            "--bbox crosses the antimeridian: make {what} of each side"
        );
        return Ok(Area {
            bounds: [
                bbox.min().lon(),
                bbox.min().lat(),
                bbox.max().lon(),
                bbox.max().lat(),
            ],
            community: None,
        });
    }
    let name =
        community.context("give the area: --bbox west,south,east,north or --community NAME")?;
    let base = base()?;
    let outline = base.boundary(name).with_context(|| {
        let names = base.boundary_names();
        if names.is_empty() {
            format!(
                "no area called `{name}`: the base map has no administrative boundaries; give --bbox"
            )
        } else {
            format!(
                "no area called `{name}` in the base map; it has: {}",
                names.join(", ")
            )
        }
    })?;
    let rect = outline
        .bounding_rect()
        .with_context(|| format!("the area `{name}` has no outline"))?;
    Ok(Area {
        bounds: [rect.min().x, rect.min().y, rect.max().x, rect.max().y],
        community: Some(name.to_owned()),
    })
}

/// `text` as `N` comma-separated numbers, or `None`.
fn numbers<const N: usize>(text: &str) -> Option<[f64; N]> {
    let numbers: Vec<f64> = text
        .split(',')
        .map(|n| n.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .ok()?;
    numbers.try_into().ok()
}

/// `--bbox west,south,east,north`.
pub fn parse_bbox(text: &str) -> Result<BBox, String> {
    let [west, south, east, north] = numbers(text)
        .ok_or_else(|| format!("`{text}` is not four numbers west,south,east,north"))?;
    BBox::new(west, south, east, north).map_err(|e| e.to_string())
}

/// `--at lon,lat`.
pub fn parse_point(text: &str) -> Result<[f64; 2], String> {
    match numbers(text) {
        Some([lon, lat]) if lon.abs() <= 180.0 && lat.abs() <= 85.0 => Ok([lon, lat]),
        Some(_) => Err(format!(
            "`{text}`: longitude within ±180 and latitude within ±85"
        )),
        None => Err(format!("`{text}` is not lon,lat")),
    }
}
