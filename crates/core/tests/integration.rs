//! Integration tests of refuge-core: the index against brute force, on random and real points.

mod integration {
    pub mod geonames;
    pub mod knn;
    pub mod queries;
}
