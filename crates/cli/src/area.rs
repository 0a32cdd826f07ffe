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
