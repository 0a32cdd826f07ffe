//! Integration tests of refuge-io: every importer on real and broken files, and the demo city.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod integration {
    pub mod demo;
    pub mod files;
    pub mod gdal;
}
