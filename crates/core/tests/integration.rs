//! Integration tests of refuge-core: the index against brute force, on random and real points.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod integration {
    pub mod geonames;
    pub mod knn;
    pub mod layers;
    pub mod logistics;
    pub mod planning;
    pub mod projections;
    pub mod queries;
    pub mod routing;
    pub mod safety;
}
