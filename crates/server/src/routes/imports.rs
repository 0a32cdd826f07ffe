//! `POST /api/v1/import` (admin) and `POST /api/v1/stock/import` (logistics): a file streamed
//! into the store in one transaction, whatever its size; the index swaps once and one event
//! announces it.

use std::io::{Read, Seek, SeekFrom};
use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use http_body_util::BodyExt;
use refuge_core::{Crs, FacilityKind};
use refuge_io::{
    BaseLayer, CsvColumns, ImportOptions, ImportSpec, InputFormat, Mapping, TextEncoding,
};
use serde::Serialize;
use tokio::sync::mpsc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Admin, Authorized, Logistics};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// The import routes. Their bodies are streamed into a temporary file, so the body limit (which
/// applies to extracted bytes and JSON) does not touch them; `import_limit_bytes` does.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import))
        .routes(routes!(import_stock))
}

/// The query of an import: the settings `refuge import` takes as flags.
type Pairs = Vec<(String, String)>;

fn one<'p>(pairs: &'p Pairs, name: &str) -> Option<&'p str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

fn parsed<T: std::str::FromStr<Err = refuge_core::Error>>(
    pairs: &Pairs,
    name: &str,
) -> Result<Option<T>, ApiError> {
    one(pairs, name)
        .map(|text| {
            text.parse()
                .map_err(|e| ApiError::bad_request("bad_parameter", format!("`{name}`: {e}")))
        })
        .transpose()
}

fn dataset(pairs: &Pairs) -> Result<String, ApiError> {
    let dataset = one(pairs, "dataset").unwrap_or("").trim();
    if dataset.is_empty() || dataset.chars().count() > 200 {
        return Err(ApiError::bad_request(
            "bad_parameter",
            "`dataset`: name the data (e.g. its file name, 1 to 200 characters); re-importing it \
             under the same name updates its records",
        ));
    }
    Ok(dataset.to_owned())
}

/// The import's settings from the query: `dataset` (required), `format` (required), `crs`,
/// `kind`, `layer`, `lon_col`, `lat_col`, `attribution`, and `map=FIELD=COLUMN` (repeatable).
fn spec(pairs: &Pairs) -> Result<(ImportSpec, Option<String>), ApiError> {
    let dataset = dataset(pairs)?;
    let format: InputFormat = parsed(pairs, "format")?.ok_or_else(|| {
        ApiError::bad_request(
            "bad_parameter",
            "`format`: required, one of geojson, ndjson, csv, osm",
        )
    })?;
    if format.needs_gdal() && !cfg!(feature = "gdal") {
        return Err(ApiError::bad_request(
            "bad_parameter",
            format!(
                "`format`: {}",
                refuge_io::Error::NeedsGdal {
                    format: format.to_string()
                }
            ),
        ));
    }
    let crs: Crs = parsed(pairs, "crs")?.unwrap_or(Crs::Wgs84);
    let mut mapping = Mapping::default();
    for (_, pair) in pairs.iter().filter(|(key, _)| key == "map") {
        let (field, column) = Mapping::parse_pair(pair)
            .map_err(|e| ApiError::bad_request("bad_parameter", format!("`map`: {e}")))?;
        mapping = mapping.with(field, column);
    }
    let encoding: TextEncoding = parsed(pairs, "encoding")?.unwrap_or_default();
    let mut options = ImportOptions::new(dataset, crs)
        .mapping(mapping)
        .encoding(encoding);
    options.kind = parsed::<FacilityKind>(pairs, "kind")?;
    let layer = parsed::<BaseLayer>(pairs, "layer")?;
    if layer.is_some() && options.kind.is_some() {
        return Err(ApiError::bad_request(
            "bad_parameter",
            "`layer` and `kind` exclude each other: a file is base-map features or facilities",
        ));
    }
    let spec = ImportSpec {
        format,
        options,
        columns: CsvColumns {
            lon: one(pairs, "lon_col").map(str::to_owned),
            lat: one(pairs, "lat_col").map(str::to_owned),
        },
        layer,
        source_layer: one(pairs, "source_layer").map(str::to_owned),
    };
    Ok((spec, one(pairs, "attribution").map(str::to_owned)))
}

/// Imports a file of facilities or base-map features into the store (admin), in one
/// transaction; the body is the file. Re-importing a dataset updates its records in place.
#[utoipa::path(post, path = "/api/v1/import", tag = "imports",
    security(("bearer" = [])),
    params(
        ("dataset" = String, Query, description = "Names the data (1 to 200 characters)"),
        ("format" = String, Query, description = "geojson, ndjson, csv or osm; with the server \
            built with GDAL also shp (a zip of the Shapefile's files), gpkg, kml (or KMZ), fgb, \
            gml, mapinfo (a zip) or gdal (any format GDAL reads, alone or zipped)",
            pattern = "^(geojson|ndjson|csv|osm|shp|shapefile|gpkg|kml|fgb|gml|mapinfo|gdal)$"),
        ("crs" = inline(Option<Crs>), Query, description = "The file's CRS (default wgs84)"),
        ("encoding" = Option<String>, Query, description = "CSV: the attributes' text encoding, utf_8 (default), gbk or gb18030",
            pattern = "^(utf_8|utf-8|utf8|gbk|cp936|gb18030)$"),
        ("kind" = inline(Option<FacilityKind>), Query, description = "The kind of every record"),
        ("layer" = inline(Option<BaseLayer>), Query, description = "A base-map layer instead of facilities"),
        ("lon_col" = Option<String>, Query, description = "CSV: the longitude column"),
        ("lat_col" = Option<String>, Query, description = "CSV: the latitude column"),
        ("attribution" = Option<String>, Query, description = "The credit the map shows"),
        ("map" = Option<Vec<String>>, Query, description = "FIELD=COLUMN, repeatable"),
    ),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "The file, up to import_limit_bytes"),
    responses(
        (status = 200, description = "The import report", body = Object),
        (status = 413, description = "Over import_limit_bytes", body = ErrorBody),
    ))]
async fn import(
    State(state): State<AppState>,
    Authorized(actor, _): Authorized<Admin>,
    Query(pairs): Query<Pairs>,
    body: Body,
) -> Result<impl IntoResponse, ApiError> {
    let (spec, attribution) = spec(&pairs)?;
    let source = spec.source(attribution);
    let limit = state.config.import_limit_bytes;
    let upload = if spec.format.needs_gdal() {
        Upload::File(GdalUpload::receive(body, limit, spec.format).await?)
    } else {
        Upload::Stream(spool(body, limit).await?)
    };
    let writer = state.clone();
    let imported = tokio::task::spawn_blocking(move || {
        writer.import(&source, |sink| upload.read(&spec, sink), &actor)
    })
    .await
    .map_err(ApiError::internal)??;
    if imported.base > 0 {
        // A new base map: make its tiles ahead again, as at start.
        tokio::task::spawn_blocking(move || state.prerender_base(AppState::PRERENDERED_TILES));
    }
    Ok(Json(
        serde_json::to_value(&imported).map_err(ApiError::internal)?,
    ))
}

/// What a stock import did.
#[derive(Debug, Serialize, ToSchema)]
struct StockImported {
    /// Rows read, booked and refused, with the reason for each refusal.
    #[schema(value_type = Object)]
    report: refuge_io::ImportReport,
    /// Receipts booked.
    receipts: usize,
}

/// Imports a stock list (logistics): CSV with facility, item, quantity, and optionally lot and
/// expires, booked as receipts.
#[utoipa::path(post, path = "/api/v1/stock/import", tag = "imports",
    security(("bearer" = [])),
    params(("dataset" = String, Query, description = "Names the list (1 to 200 characters)")),
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 200, description = "What was booked", body = StockImported),
        (status = 413, description = "Over import_limit_bytes", body = ErrorBody),
    ))]
async fn import_stock(
    State(state): State<AppState>,
    Authorized(actor, _): Authorized<Logistics>,
    Query(pairs): Query<Pairs>,
    body: Body,
) -> Result<impl IntoResponse, ApiError> {
    let dataset = dataset(&pairs)?;
    let file = spool(body, state.config.import_limit_bytes).await?;
    let answer = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        let (rows, mut report) = refuge_io::read_stock_csv(file, &dataset)
            .map_err(|e| ApiError::bad_request("bad_import", e.to_string()))?;
        let booked = state.import_stock(&dataset, rows, &mut report, &actor)?;
        Ok(StockImported {
            report,
            receipts: booked,
        })
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(Json(answer))
}

/// How long an upload may pause before it is given up.
const UPLOAD_IDLE: Duration = Duration::from_secs(60);

/// What an import reads: the body as a stream, or a file GDAL opens.
enum Upload {
    Stream(std::io::BufReader<std::fs::File>),
    File(GdalUpload),
}

impl Upload {
    fn read(
        self,
        spec: &ImportSpec,
        sink: &mut dyn refuge_io::ImportSink,
    ) -> refuge_io::Result<refuge_io::ImportReport> {
        match self {
            Upload::Stream(stream) => spec.run(stream, sink),
            Upload::File(upload) => spec.run_file(&upload.path, sink),
        }
    }
}

/// An upload in a format GDAL reads, under the name GDAL needs, in a folder of its own that goes
/// when it is dropped. Formats of several files (a Shapefile, a MapInfo table) come as a zip of
/// them, read in place (`/vsizip/`); so may any other.
struct GdalUpload {
    _folder: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl GdalUpload {
    async fn receive(body: Body, limit: u64, format: InputFormat) -> Result<Self, ApiError> {
        let folder = tempfile::tempdir().map_err(ApiError::internal)?;
        let received = folder.path().join("upload");
        // Read back for its first bytes: opened for both.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&received)
            .map_err(ApiError::internal)?;
        let mut file = spool_into(body, limit, file).await?.into_inner();
        let mut magic = [0u8; 4];
        let zipped = file.read_exact(&mut magic).is_ok() && magic == *b"PK\x03\x04";
        let (name, in_zip) = match (format, zipped) {
            (InputFormat::Kml, true) => ("upload.kmz", false),
            (_, true) => ("upload.zip", true),
            (InputFormat::Shapefile | InputFormat::MapInfo, false) => {
                return Err(ApiError::bad_request(
                    "bad_import",
                    format!(
                        "a {format} is several files: send a zip of them (.shp, .shx, .dbf, \
                         .prj and .cpg for a Shapefile)"
                    ),
                ));
            }
            (InputFormat::GeoPackage, false) => ("upload.gpkg", false),
            (InputFormat::FlatGeobuf, false) => ("upload.fgb", false),
            (InputFormat::Kml, false) => ("upload.kml", false),
            (InputFormat::Gml, false) => ("upload.gml", false),
            (_, false) => ("upload", false),
        };
        drop(file);
        let named = folder.path().join(name);
        std::fs::rename(&received, &named).map_err(ApiError::internal)?;
        let path = if in_zip {
            std::path::PathBuf::from(format!("/vsizip/{}", named.display()))
        } else {
            named
        };
        Ok(Self {
            _folder: folder,
            path,
        })
    }
}

/// The request body, received whole into an unnamed temporary file (deleted when dropped) before
/// any lock is taken: a slow or broken upload holds nothing up and leaves nothing half-imported.
/// Memory holds a few chunks whatever the size; more than `limit` bytes is a 413.
async fn spool(body: Body, limit: u64) -> Result<std::io::BufReader<std::fs::File>, ApiError> {
    let file = tempfile::tempfile().map_err(ApiError::internal)?;
    spool_into(body, limit, file).await
}

/// The request body received into `file`, read back from its start.
async fn spool_into(
    body: Body,
    limit: u64,
    mut file: std::fs::File,
) -> Result<std::io::BufReader<std::fs::File>, ApiError> {
    let (sender, receiver) = mpsc::channel::<Chunk>(8);
    tokio::spawn(forward(body, sender));
    let mut reader = BodyReader {
        receiver,
        current: Bytes::new(),
        failed: None,
    };
    tokio::task::spawn_blocking(move || {
        let copied = std::io::copy(&mut (&mut reader).take(limit + 1), &mut file)
            .map_err(|e| ApiError::bad_request("bad_upload", e.to_string()))?;
        if copied > limit {
            return Err(ApiError::client(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!(
                    "the upload is over the import limit of {limit} bytes (import_limit_bytes)"
                ),
            ));
        }
        file.seek(SeekFrom::Start(0)).map_err(ApiError::internal)?;
        Ok(std::io::BufReader::new(file))
    })
    .await
    .map_err(ApiError::internal)?
}

/// What the connection delivers: data, its proper end, or why it broke off.
enum Chunk {
    Data(Bytes),
    End,
    Broken(String),
}

/// Passes the body's chunks on until it ends, breaks, pauses too long or nobody reads any more.
async fn forward(mut body: Body, sender: mpsc::Sender<Chunk>) {
    loop {
        let chunk = match tokio::time::timeout(UPLOAD_IDLE, body.frame()).await {
            Err(_) => Chunk::Broken(format!(
                "the upload paused for more than {} s",
                UPLOAD_IDLE.as_secs()
            )),
            Ok(None) => Chunk::End,
            Ok(Some(Err(e))) => Chunk::Broken(format!("the upload broke off: {e}")),
            Ok(Some(Ok(frame))) => match frame.into_data() {
                Ok(data) => Chunk::Data(data),
                // Trailers carry no data.
                Err(_) => continue,
            },
        };
        let last = !matches!(chunk, Chunk::Data(_));
        if sender.send(chunk).await.is_err() || last {
            return;
        }
    }
}

/// Reads what [`forward`] passes on; used only off the async workers. A body that did not end
/// properly is an error, never a short file.
struct BodyReader {
    receiver: mpsc::Receiver<Chunk>,
    current: Bytes,
    failed: Option<String>,
}

impl std::io::Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            if let Some(why) = &self.failed {
                return Err(std::io::Error::other(why.clone()));
            }
            match self.receiver.blocking_recv() {
                Some(Chunk::Data(data)) => self.current = data,
                Some(Chunk::End) => return Ok(0),
                Some(Chunk::Broken(why)) => self.failed = Some(why),
                None => self.failed = Some("the upload ended before its end".into()),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}
