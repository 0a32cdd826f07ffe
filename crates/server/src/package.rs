//! Offline map packages (`refuge export --format pmtiles`): one folder that any static server (or
//! a USB stick with a tiny one) serves, and that needs no Refuge server at all.
//!
//! The folder holds `refuge.pmtiles` (the base map and the facilities of one area, see
//! [`refuge_tiles::write_archive`]), `style.json` (the map's own style with one `pmtiles://` source
//! for both), the label glyphs the style names, and a page that draws it with MapLibre's
//! `pmtiles://` protocol.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use refuge_core::SpatialIndex;
use refuge_tiles::{
    ArchiveArea, ArchiveSummary, BaseMap, Cancel, GlyphRenderer, HazardZones, Sources,
};
use serde_json::{Value, json};

use crate::page::{PACKAGE, PageSource};

/// The archive's file name in the folder.
pub const ARCHIVE_FILE: &str = "refuge.pmtiles";

/// Label glyphs are written for code points below this. MapLibre draws CJK ideographs, kana and
/// Hangul (U+3000 and up) with the browser's own fonts (`localIdeographFontFamily`), as the live
/// map does, so those ranges are never asked for.
const GLYPHS_BELOW: u32 = 0x3000;

/// Why a package could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The tiles or glyphs could not be made (an area too large names its tile count here).
    #[error(transparent)]
    Tiles(#[from] refuge_tiles::Error),
}

/// What a package holds.
#[derive(Debug, Clone, Copy)]
pub struct PackageSummary {
    /// The archive's tiles.
    pub archive: ArchiveSummary,
    /// Its size in bytes.
    pub archive_bytes: u64,
    /// Glyph range files written.
    pub glyph_ranges: usize,
}

/// Writes the package of `area` into `folder` (made if absent; files of an earlier package there
/// are replaced). The archive is written under a temporary name and renamed when whole.
pub fn write_package(
    index: &SpatialIndex,
    base: &BaseMap,
    area: &ArchiveArea,
    folder: &Path,
) -> Result<PackageSummary, PackageError> {
    let write_error = |path: &Path| {
        let path = path.to_owned();
        move |source| PackageError::Write { path, source }
    };
    std::fs::create_dir_all(folder).map_err(write_error(folder))?;

    let archive_path = folder.join(ARCHIVE_FILE);
    let partial = folder.join(format!("{ARCHIVE_FILE}.partial"));
    let file = File::create(&partial).map_err(write_error(&partial))?;
    let zones = HazardZones::new();
    let cancel = Cancel::default();
    let sources = Sources {
        index,
        base,
        zones: &zones,
        coverage: None,
        cancel: &cancel,
    };
    let archive = match refuge_tiles::write_archive(sources, area, BufWriter::new(file)) {
        Ok(summary) => summary,
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            return Err(error.into());
        }
    };
    std::fs::rename(&partial, &archive_path).map_err(write_error(&archive_path))?;
    let archive_bytes = std::fs::metadata(&archive_path)
        .map_err(write_error(&archive_path))?
        .len();

    let style = package_style(&area.attribution);
    let fontstacks = fontstacks(&style);
    let style_path = folder.join("style.json");
    std::fs::write(
        &style_path,
        serde_json::to_vec_pretty(&style).unwrap_or_default(),
    )
    .map_err(write_error(&style_path))?;

    let renderer = GlyphRenderer::dejavu_sans()?;
    let mut glyph_ranges = 0;
    for fontstack in &fontstacks {
        let dir = folder.join("glyphs").join(fontstack);
        std::fs::create_dir_all(&dir).map_err(write_error(&dir))?;
        for start in (0..GLYPHS_BELOW).step_by(256) {
            let path = dir.join(format!("{start}-{}.pbf", start + 255));
            let bytes = renderer.range(fontstack, start)?;
            std::fs::write(&path, bytes).map_err(write_error(&path))?;
            glyph_ranges += 1;
        }
    }

    for file in PACKAGE {
        let path = folder.join(file.url);
        let bytes = PageSource::BuiltIn.read(file).map_err(write_error(&path))?;
        std::fs::write(&path, bytes).map_err(write_error(&path))?;
    }
    let readme = folder.join("README.txt");
    std::fs::write(&readme, README).map_err(write_error(&readme))?;
    Ok(PackageSummary {
        archive,
        archive_bytes,
        glyph_ranges,
    })
}

/// The credits of the data's sources, each once, as a map shows them.
pub fn credits(sources: &[refuge_io::DataSource]) -> String {
    crate::state::attribution(sources)
}

const README: &str = "\
Refuge offline map package (made by `refuge export --format pmtiles`).

Serve this folder with any static web server and open its address, for example:
    python3 -m http.server 8000        then open http://localhost:8000/
Browsers do not let a page opened straight from the disk (file://) read the map archive.

refuge.pmtiles  the base map and the facilities (PMTiles v3; `refuge serve --archive name=refuge.pmtiles` serves it too)
style.json      the map style, reading the archive through MapLibre's pmtiles:// protocol
glyphs/         label glyphs (DejaVu Sans); Chinese labels use the device's own fonts
maplibre-gl.*   MapLibre GL JS (BSD-3-Clause, LICENSE-maplibre-gl.txt)
pmtiles.js      PMTiles for JavaScript by Protomaps (BSD-3-Clause)
";

/// The live map's style with one source, the archive beside it, for both the base map and the
/// facilities; glyphs from the folder; the coverage layers (a server's live analysis) left out.
fn package_style(attribution: &str) -> Value {
    let built_in = PageSource::find("/style.json")
        .map(|file| file.built_in)
        .unwrap_or_default();
    let mut style: Value = serde_json::from_slice(built_in).unwrap_or_else(|_| json!({}));
    let layers: Vec<Value> = style["layers"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|layer| layer["source"] != "coverage")
        .map(|mut layer| {
            if layer.get("source").is_some() {
                layer["source"] = json!("refuge");
            }
            layer
        })
        .collect();
    style["layers"] = json!(layers);
    style["sources"] = json!({
        "refuge": {
            "type": "vector",
            "url": format!("pmtiles://{ARCHIVE_FILE}"),
            "attribution": attribution,
        }
    });
    style["glyphs"] = json!("glyphs/{fontstack}/{range}.pbf");
    style
}

/// The font stacks the style's labels name (`text-font`), each once.
fn fontstacks(style: &Value) -> Vec<String> {
    let mut stacks: Vec<String> = Vec::new();
    for layer in style["layers"].as_array().into_iter().flatten() {
        if let Some(fonts) = layer["layout"]["text-font"].as_array() {
            let stack = fonts
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(",");
            if !stack.is_empty() && !stacks.contains(&stack) {
                stacks.push(stack);
            }
        }
    }
    stacks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_style_reads_only_the_archive_and_keeps_every_map_layer() {
        let style = package_style("© OpenStreetMap contributors");
        let sources = style["sources"].as_object().unwrap();
        assert_eq!(sources.keys().collect::<Vec<_>>(), ["refuge"]);
        assert_eq!(sources["refuge"]["url"], "pmtiles://refuge.pmtiles");
        let layers = style["layers"].as_array().unwrap();
        for id in [
            "roads",
            "buildings",
            "water",
            "shelters",
            "reserves",
            "hazards-zone",
        ] {
            assert!(layers.iter().any(|l| l["id"] == id), "{id} is missing");
        }
        assert!(
            layers
                .iter()
                .all(|l| l.get("source").is_none() || l["source"] == "refuge")
        );
        assert!(!layers.iter().any(|l| l["id"] == "coverage-cells"));
        assert_eq!(fontstacks(&style), ["Noto Sans Regular"]);
    }
}
