//! Tile archives served beside Refuge's own tilesets (`refuge serve --archive NAME=FILE`), as
//! Martin serves them: PMTiles v3 and MBTiles, vector or raster, each at
//! `/tiles/{NAME}/{z}/{x}/{y}.{mvt|png|jpg|webp}` with its TileJSON at `/tiles/{NAME}.json`.
//!
//! Archives are read, never written, while the server runs. A PMTiles archive is read with
//! positional reads (no memory map, so an archive replaced under a running server gives errors,
//! never a crash); an MBTiles file through a read-only SQLite connection.

use std::collections::BTreeMap;
use std::future::{Future, ready};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use pmtiles::{
    AsyncBackend, AsyncPmTilesReader, BackendResponse, Compression, DirEntry, Directory,
    DirectoryCache, PmtResult, TileId, TileType,
};
use rusqlite::OptionalExtension;
use serde_json::{Value, json};

/// Why an archive cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// A name that is not a plain tileset name, or one of Refuge's own.
    #[error("--archive {name}: {reason}")]
    Name {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The file could not be read as an archive.
    #[error("--archive {name}={}: {reason}", path.display())]
    Unreadable {
        /// The archive's name.
        name: String,
        /// Its file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A tile could not be read from an archive that opened.
    #[error("archive {name}: {reason}")]
    Tile {
        /// The archive's name.
        name: String,
        /// Why.
        reason: String,
    },
}

/// What an archive's tiles are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileFormat {
    /// Mapbox Vector Tiles.
    Mvt,
    /// PNG images.
    Png,
    /// JPEG images.
    Jpeg,
    /// WebP images.
    Webp,
}

impl TileFormat {
    /// The file extension of its tile URLs.
    pub fn extension(self) -> &'static str {
        match self {
            TileFormat::Mvt => "mvt",
            TileFormat::Png => "png",
            TileFormat::Jpeg => "jpg",
            TileFormat::Webp => "webp",
        }
    }

    /// Whether `extension` names this format (`pbf` too for vector tiles, `jpeg` for JPEG).
    pub fn has_extension(self, extension: &str) -> bool {
        extension == self.extension()
            || matches!(
                (self, extension),
                (TileFormat::Mvt, "pbf") | (TileFormat::Jpeg, "jpeg")
            )
    }

    /// Its media type.
    pub fn media_type(self) -> &'static str {
        match self {
            TileFormat::Mvt => "application/vnd.mapbox-vector-tile",
            TileFormat::Png => "image/png",
            TileFormat::Jpeg => "image/jpeg",
            TileFormat::Webp => "image/webp",
        }
    }
}

/// The tile archives a server was started with, by name.
#[derive(Default)]
pub struct Archives {
    by_name: BTreeMap<String, Arc<Archive>>,
}

impl std::fmt::Debug for Archives {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.by_name.keys()).finish()
    }
}

impl Archives {
    /// Opens every archive of `config` (name → file), refusing a name that is not lowercase
    /// letters, digits, `-` and `_`, one of Refuge's own tilesets, or a file that is neither a
    /// PMTiles v3 archive nor an MBTiles file of tiles.
    pub async fn open(config: &BTreeMap<String, PathBuf>) -> Result<Self, ArchiveError> {
        let mut by_name = BTreeMap::new();
        for (name, path) in config {
            check_name(name)?;
            let archive = Archive::open(name, path).await?;
            by_name.insert(name.clone(), Arc::new(archive));
        }
        Ok(Self { by_name })
    }

    /// The archive called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<Archive>> {
        self.by_name.get(name).cloned()
    }

    /// The archives' names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }
}

fn check_name(name: &str) -> Result<(), ArchiveError> {
    let refuse = |reason: String| {
        Err(ArchiveError::Name {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return refuse(
            "a tileset name is 1 to 64 lowercase letters, digits, `-` and `_` (it goes into URLs)"
                .into(),
        );
    }
    if refuge_tiles::Tileset::from_name(name).is_ok() {
        return refuse(format!(
            "`{name}` is one of Refuge's own tilesets; name the archive otherwise"
        ));
    }
    Ok(())
}

/// One archive: how to read it, and its TileJSON (with the tile URL's path left to fill in).
pub struct Archive {
    name: String,
    reader: Reader,
    format: TileFormat,
    minzoom: u8,
    maxzoom: u8,
    bounds: [f64; 4],
    center: [f64; 3],
    /// From the archive's metadata: name, attribution, description, vector_layers.
    metadata: serde_json::Map<String, Value>,
}

enum Reader {
    PmTiles(AsyncPmTilesReader<FileBackend, LeafCache>),
    MbTiles(Mutex<rusqlite::Connection>),
}

impl Archive {
    async fn open(name: &str, path: &Path) -> Result<Self, ArchiveError> {
        let unreadable = |reason: String| ArchiveError::Unreadable {
            name: name.to_owned(),
            path: path.to_owned(),
            reason,
        };
        let mut magic = [0u8; 7];
        let file = std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
        file.read_exact_at(&mut magic, 0)
            .map_err(|_| unreadable("too short for a tile archive".into()))?;
        if &magic == b"PMTiles" {
            Self::open_pmtiles(name, file).await.map_err(unreadable)
        } else if magic.starts_with(b"SQLite") {
            drop(file);
            Self::open_mbtiles(name, path).map_err(unreadable)
        } else {
            Err(unreadable(
                "neither a PMTiles archive nor an MBTiles (SQLite) file".into(),
            ))
        }
    }

    async fn open_pmtiles(name: &str, file: std::fs::File) -> Result<Self, String> {
        let reader = AsyncPmTilesReader::try_from_cached_source(
            FileBackend(Arc::new(file)),
            LeafCache::default(),
        )
        .await
        .map_err(|e| format!("not a PMTiles v3 archive: {e}"))?;
        let header = reader.get_header();
        let format = match header.tile_type {
            TileType::Mvt => TileFormat::Mvt,
            TileType::Png => TileFormat::Png,
            TileType::Jpeg => TileFormat::Jpeg,
            TileType::Webp => TileFormat::Webp,
            other => {
                return Err(format!(
                    "its tiles are {other:?}; Refuge serves MVT, PNG, JPEG and WebP"
                ));
            }
        };
        match header.tile_compression {
            Compression::Gzip | Compression::None => {}
            other => {
                return Err(format!(
                    "its tiles are compressed with {other:?}; Refuge serves gzip or uncompressed tiles"
                ));
            }
        }
        let metadata = match reader.get_metadata().await {
            Ok(text) => serde_json::from_str(&text).unwrap_or_default(),
            Err(_) => serde_json::Map::new(),
        };
        Ok(Self {
            name: name.to_owned(),
            format,
            minzoom: header.min_zoom,
            maxzoom: header.max_zoom,
            bounds: [
                header.min_longitude,
                header.min_latitude,
                header.max_longitude,
                header.max_latitude,
            ],
            center: [
                header.center_longitude,
                header.center_latitude,
                f64::from(header.center_zoom),
            ],
            metadata,
            reader: Reader::PmTiles(reader),
        })
    }

    fn open_mbtiles(name: &str, path: &Path) -> Result<Self, String> {
        let connection = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| e.to_string())?;
        let rows: Vec<(String, String)> = connection
            .prepare("SELECT name, value FROM metadata")
            .and_then(|mut statement| {
                statement
                    .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                    .collect()
            })
            .map_err(|e| format!("not an MBTiles file (its metadata table: {e})"))?;
        let meta: BTreeMap<String, String> = rows.into_iter().collect();
        let format = match meta.get("format").map(String::as_str) {
            Some("pbf" | "mvt") => TileFormat::Mvt,
            Some("png") => TileFormat::Png,
            Some("jpg" | "jpeg") => TileFormat::Jpeg,
            Some("webp") => TileFormat::Webp,
            Some(other) => {
                return Err(format!(
                    "its tiles are `{other}`; Refuge serves pbf, png, jpg and webp"
                ));
            }
            None => return Err("its metadata names no tile format".into()),
        };
        let zoom = |key: &str, sql: &str| -> Result<u8, String> {
            match meta.get(key) {
                Some(text) => text
                    .trim()
                    .parse()
                    .map_err(|_| format!("its {key} `{text}` is not a zoom level")),
                None => connection
                    .query_row(sql, [], |row| row.get::<_, Option<u8>>(0))
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| "it holds no tiles".to_owned()),
            }
        };
        let minzoom = zoom("minzoom", "SELECT min(zoom_level) FROM tiles")?;
        let maxzoom = zoom("maxzoom", "SELECT max(zoom_level) FROM tiles")?;
        let bounds = match meta.get("bounds") {
            Some(text) => parse_bounds(text)
                .ok_or_else(|| format!("its bounds `{text}` are not west,south,east,north"))?,
            None => [-180.0, -85.051_129, 180.0, 85.051_129],
        };
        let center = [
            (bounds[0] + bounds[2]) / 2.0,
            (bounds[1] + bounds[3]) / 2.0,
            f64::from(maxzoom.min(14).max(minzoom)),
        ];
        let mut metadata: serde_json::Map<String, Value> = meta
            .get("json")
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default();
        for key in ["name", "attribution", "description"] {
            if let Some(value) = meta.get(key) {
                metadata.insert(key.into(), json!(value));
            }
        }
        Ok(Self {
            name: name.to_owned(),
            reader: Reader::MbTiles(Mutex::new(connection)),
            format,
            minzoom,
            maxzoom,
            bounds,
            center,
            metadata,
        })
    }

    /// Its tile format.
    pub fn format(&self) -> TileFormat {
        self.format
    }

    /// Its zoom levels.
    pub fn zooms(&self) -> std::ops::RangeInclusive<u8> {
        self.minzoom..=self.maxzoom
    }

    /// Its TileJSON 3.0.0, with tile URLs under `base_url`.
    pub fn tilejson(&self, base_url: &str) -> Value {
        let mut tilejson = json!({
            "tilejson": "3.0.0",
            "name": self.metadata.get("name").cloned().unwrap_or_else(|| json!(self.name)),
            "scheme": "xyz",
            "tiles": [format!(
                "{base_url}/tiles/{}/{{z}}/{{x}}/{{y}}.{}",
                self.name,
                self.format.extension()
            )],
            "minzoom": self.minzoom,
            "maxzoom": self.maxzoom,
            "bounds": self.bounds,
            "center": self.center,
        });
        for key in ["description", "vector_layers", "version"] {
            if let Some(value) = self.metadata.get(key) {
                tilejson[key] = value.clone();
            }
        }
        // Map clients show attribution as HTML: the archive's credit is kept as its text, its
        // markup (often a link) left out.
        if let Some(credit) = self.metadata.get("attribution").and_then(Value::as_str) {
            tilejson["attribution"] = json!(crate::state::escape_html(&text_of(credit)));
        }
        tilejson
    }

    /// The stored bytes of tile z/x/y (gzip-compressed or not, as the archive holds it), or `None` when
    /// the archive has no such tile. Reads the file: call it off the async workers.
    pub async fn tile(&self, z: u8, x: u32, y: u32) -> Result<Option<Bytes>, ArchiveError> {
        let failed = |reason: String| ArchiveError::Tile {
            name: self.name.clone(),
            reason,
        };
        match &self.reader {
            Reader::PmTiles(reader) => {
                let coord = pmtiles::TileCoord::new(z, x, y).map_err(|e| failed(e.to_string()))?;
                reader
                    .get_tile(coord)
                    .await
                    .map_err(|e| failed(e.to_string()))
            }
            Reader::MbTiles(connection) => {
                // MBTiles rows count from the south (TMS).
                let row = (1i64 << z) - 1 - i64::from(y);
                let connection = connection
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                connection
                    .query_row(
                        "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
                        rusqlite::params![z, x, row],
                        |row| row.get::<_, Vec<u8>>(0),
                    )
                    .optional()
                    .map(|tile| tile.map(Bytes::from))
                    .map_err(|e| failed(e.to_string()))
            }
        }
    }
}

/// `html` without its tags: `<a href="…">© OpenMapTiles</a>` is `© OpenMapTiles`.
fn text_of(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

fn parse_bounds(text: &str) -> Option<[f64; 4]> {
    let numbers: Vec<f64> = text
        .split(',')
        .map(|n| n.trim().parse().ok())
        .collect::<Option<_>>()?;
    let bounds: [f64; 4] = numbers.try_into().ok()?;
    bounds.iter().all(|n| n.is_finite()).then_some(bounds)
}

/// The leaf directories of a PMTiles archive read so far, at most [`LeafCache::MOST`]: past it
/// the cache starts afresh, so a large archive costs a bounded amount of memory.
#[derive(Default)]
struct LeafCache {
    directories: Mutex<std::collections::HashMap<u64, Arc<Directory>>>,
}

impl LeafCache {
    /// Leaf directories kept (each holds up to a few thousand entries of 24 bytes).
    const MOST: usize = 256;

    fn kept(&self, offset: u64) -> Option<Arc<Directory>> {
        self.directories
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&offset)
            .cloned()
    }

    fn keep(&self, offset: u64, directory: Arc<Directory>) {
        let mut directories = self
            .directories
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if directories.len() >= Self::MOST {
            directories.clear();
        }
        directories.insert(offset, directory);
    }
}

impl DirectoryCache for LeafCache {
    async fn get_dir_entry_or_insert(
        &self,
        offset: u64,
        tile_id: TileId,
        fetcher: impl Future<Output = PmtResult<Directory>> + Send,
    ) -> PmtResult<Option<DirEntry>> {
        let directory = match self.kept(offset) {
            Some(directory) => directory,
            None => {
                let directory = Arc::new(fetcher.await?);
                self.keep(offset, Arc::clone(&directory));
                directory
            }
        };
        Ok(directory.find_tile_id(tile_id).copied())
    }
}

/// A PMTiles archive read with positional reads of its file.
struct FileBackend(Arc<std::fs::File>);

impl FileBackend {
    fn read_at(&self, offset: u64, length: usize) -> PmtResult<Bytes> {
        let mut bytes = vec![0; length];
        let mut filled = 0;
        while filled < length {
            let read = self
                .0
                .read_at(&mut bytes[filled..], offset + filled as u64)?;
            if read == 0 {
                break;
            }
            filled += read;
        }
        bytes.truncate(filled);
        Ok(Bytes::from(bytes))
    }
}

impl AsyncBackend for FileBackend {
    fn read_exact(
        &self,
        offset: u64,
        length: usize,
    ) -> impl Future<Output = PmtResult<BackendResponse>> + Send {
        let read = self.read_at(offset, length).and_then(|bytes| {
            if bytes.len() == length {
                Ok(BackendResponse::new(bytes))
            } else {
                Err(pmtiles::PmtError::Reading(std::io::Error::from(
                    std::io::ErrorKind::UnexpectedEof,
                )))
            }
        });
        ready(read)
    }

    fn read(
        &self,
        offset: u64,
        length: usize,
    ) -> impl Future<Output = PmtResult<BackendResponse>> + Send {
        ready(self.read_at(offset, length).map(BackendResponse::new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_archives_credit_keeps_its_text_and_drops_its_markup() {
        assert_eq!(
            text_of(
                r#"<a href="https://openmaptiles.org/">© OpenMapTiles</a> <a href="x">© OSM</a>"#
            ),
            "© OpenMapTiles © OSM"
        );
        assert_eq!(text_of("© Refuge & co"), "© Refuge & co");
    }
}
