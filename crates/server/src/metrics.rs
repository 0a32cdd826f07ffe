//! Counters for `/metrics`, in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// What the server counts.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Tiles answered from the cache.
    pub tile_hits: AtomicU64,
    /// Tiles encoded.
    pub tile_misses: AtomicU64,
    /// Nearest queries answered.
    pub nearest_queries: AtomicU64,
    /// Requests refused as bad input (4xx).
    pub client_errors: AtomicU64,
    /// Requests that failed inside (5xx).
    pub server_errors: AtomicU64,
}

impl Metrics {
    /// Adds one to a counter.
    pub fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition, with the data version, facility count and cache usage.
    pub fn render(
        &self,
        version: u64,
        facilities: usize,
        cache_bytes: usize,
        cache_entries: usize,
    ) -> String {
        let mut text = String::new();
        let mut line = |name: &str, kind: &str, help: &str, value: u64| {
            let _ = writeln!(
                text,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        line(
            "refuge_tile_cache_hits_total",
            "counter",
            "Tiles served from the cache.",
            get(&self.tile_hits),
        );
        line(
            "refuge_tile_cache_misses_total",
            "counter",
            "Tiles encoded on request.",
            get(&self.tile_misses),
        );
        line(
            "refuge_nearest_queries_total",
            "counter",
            "Nearest queries answered.",
            get(&self.nearest_queries),
        );
        line(
            "refuge_client_errors_total",
            "counter",
            "Requests refused as bad input.",
            get(&self.client_errors),
        );
        line(
            "refuge_server_errors_total",
            "counter",
            "Requests that failed inside.",
            get(&self.server_errors),
        );
        line(
            "refuge_data_version",
            "gauge",
            "Version of the data snapshot being served.",
            version,
        );
        line(
            "refuge_facilities",
            "gauge",
            "Facilities in the index.",
            facilities as u64,
        );
        line(
            "refuge_tile_cache_bytes",
            "gauge",
            "Bytes held by the tile cache.",
            cache_bytes as u64,
        );
        line(
            "refuge_tile_cache_entries",
            "gauge",
            "Tiles held by the tile cache.",
            cache_entries as u64,
        );
        text
    }
}
