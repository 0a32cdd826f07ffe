//! The one error type of `refuge-tiles`.

/// Why a tile could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A tile coordinate out of range; names the parameter.
    #[error("{parameter}: {message}")]
    Coordinate {
        /// `z`, `x` or `y`.
        parameter: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A tileset name that does not exist.
    #[error("unknown tileset `{name}`: expected one of {expected}")]
    UnknownTileset {
        /// The name given.
        name: String,
        /// The tilesets.
        expected: String,
    },
    /// The MVT encoder refused a geometry or layer.
    #[error("cannot encode the tile: {0}")]
    Encode(String),
    /// An area with more tiles than one archive may hold.
    #[error(
        "the area has {tiles} tiles at these zooms, more than the {limit} one archive may hold: take a smaller area or fewer zooms"
    )]
    TooManyTiles {
        /// Tiles of the area.
        tiles: u64,
        /// The most one archive holds.
        limit: u64,
    },
    /// The archive could not be written.
    #[error("cannot write the archive: {0}")]
    Archive(String),
    /// The tile was given up before it was made.
    #[error("the tile was given up")]
    Cancelled,
    /// A query of the index failed.
    #[error(transparent)]
    Core(#[from] refuge_core::Error),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
