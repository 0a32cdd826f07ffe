//! The one error type of `refuge-io`: a whole input that cannot be read. (A bad row or feature is
//! not an error: it goes into the [`ImportReport`](crate::ImportReport) and the good ones go on.)

use std::path::PathBuf;

/// Why an input could not be read at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The output could not be written.
    #[error("cannot write {what}: {source}")]
    Write {
        /// What was being written.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// JSON that does not parse, with where it broke.
    #[error("{dataset}: invalid JSON at line {line}, column {column}: {message}")]
    Json {
        /// The dataset.
        dataset: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// A GeoJSON document of the wrong shape.
    #[error("{dataset}: {message}")]
    GeoJson {
        /// The dataset.
        dataset: String,
        /// What is wrong.
        message: String,
    },
    /// A CSV without a column the import needs.
    #[error("{dataset}: no column `{column}` ({why}); the header has: {header}")]
    MissingColumn {
        /// The dataset.
        dataset: String,
        /// The column looked for.
        column: String,
        /// What it is needed for.
        why: &'static str,
        /// The columns found.
        header: String,
    },
    /// A CSV that cannot be parsed (e.g. a header that is not UTF-8).
    #[error("{dataset}: {message}")]
    Csv {
        /// The dataset.
        dataset: String,
        /// What the parser said, with the line.
        message: String,
    },
    /// An OpenStreetMap PBF file that cannot be decoded.
    #[error("{dataset}: not a readable OpenStreetMap PBF file: {message}")]
    Pbf {
        /// The dataset.
        dataset: String,
        /// What the decoder said.
        message: String,
    },
    /// A file name whose format cannot be told from its extension.
    #[error("cannot tell the format of {path}: use --format (one of {expected})")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// The formats.
        expected: String,
    },
    /// Where the records were going failed (e.g. the store could not write); nothing of this
    /// input was kept.
    #[error("{dataset}: nothing was imported: {message}")]
    Destination {
        /// The dataset.
        dataset: String,
        /// What the destination said.
        message: String,
    },
    /// A format only GDAL reads, in a build without it.
    #[error(
        "{format} files are read through GDAL, and this refuge was built without it: build it \
         with `cargo build --release -p refuge-cli --features gdal` (needs Debian's libgdal-dev)"
    )]
    NeedsGdal {
        /// The format.
        format: String,
    },
    /// A file GDAL cannot open or read, or a layer that is not there.
    #[error("{dataset}: {message}")]
    Gdal {
        /// The dataset.
        dataset: String,
        /// What is wrong.
        message: String,
    },
    /// A model rule broken by an option rather than by a record.
    #[error(transparent)]
    Model(#[from] refuge_core::Error),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
