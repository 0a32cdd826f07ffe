//! Integration tests of refuge-io: every importer on real and broken files, and the demo city.

mod integration {
    pub mod demo;
    pub mod files;
}
