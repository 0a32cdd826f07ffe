//! The population layer and its coverage, read and worked out once for the data they come from:
//! the layer once per import of it (its stamp in the store grows with each, whichever process
//! made it), the coverage map (for the `coverage` tiles) once per change of a facility or of the
//! layer. Both are blocking work, for blocking threads.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use refuge_core::SpatialIndex;
use refuge_core::planning::{CoverageMap, CoverageOptions, PopulationLayer, coverage};
use refuge_store::Store;

use crate::error::ApiError;

/// A value and the data it was made from.
#[derive(Debug)]
struct Made<K, T> {
    from: K,
    value: T,
}

/// The layer, if the store has one, kept with its stamp.
type KeptLayer = Made<u64, Option<Arc<PopulationLayer>>>;

/// The map, if there is one, kept with the places version and the layer's stamp.
type KeptMap = Made<(u64, u64), Option<Arc<CoverageMap>>>;

/// The population layer and the coverage map, each kept with what it was made from.
#[derive(Debug, Default)]
pub struct CoverageCache {
    layer: Mutex<Option<KeptLayer>>,
    map: Mutex<Option<KeptMap>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The version of the `coverage` tiles: it grows with every change of a facility and of the
/// population layer as this process last saw it, since both only ever grow. Reading the layer
/// (an analysis, a coverage tile made, a TileJSON asked) looks at the store again.
pub fn version(index: &SpatialIndex, store: Option<&Store>) -> u64 {
    index.places_version() + store.map_or(0, Store::population_seen)
}

impl CoverageCache {
    /// The store's population layer, read once per import of it.
    pub fn layer(&self, store: &Store) -> Result<Option<Arc<PopulationLayer>>, ApiError> {
        self.layer_at(store, store.population_stamp()?)
    }

    /// The layer as of `stamp`, read just before: an import between the two reads leaves a
    /// newer layer under an older stamp, read again next time, never an older one under a newer
    /// stamp.
    fn layer_at(
        &self,
        store: &Store,
        stamp: u64,
    ) -> Result<Option<Arc<PopulationLayer>>, ApiError> {
        let mut kept = lock(&self.layer);
        if let Some(made) = kept.as_ref().filter(|made| made.from == stamp) {
            return Ok(made.value.clone());
        }
        let value = store.population()?.map(Arc::new);
        *kept = Some(Made {
            from: stamp,
            value: value.clone(),
        });
        Ok(value)
    }

    /// The coverage of the population by the shelters of `index` in service, as map cells;
    /// `None` without a store or a population layer, or when the layer has more cells than
    /// `max_cells` (logged: the tiles then stay empty).
    pub fn map(
        &self,
        index: &SpatialIndex,
        store: Option<&Store>,
        max_cells: usize,
    ) -> Result<Option<Arc<CoverageMap>>, ApiError> {
        let Some(store) = store else {
            return Ok(None);
        };
        let stamp = store.population_stamp()?;
        let from = (index.places_version(), stamp);
        // Held while the map is made: requests for it at the same time wait for the one making.
        let mut kept = lock(&self.map);
        if let Some(made) = kept.as_ref().filter(|made| made.from == from) {
            return Ok(made.value.clone());
        }
        let value = match self.layer_at(store, stamp)? {
            None => None,
            Some(layer) => {
                let options = CoverageOptions {
                    max_cells,
                    ..CoverageOptions::default()
                };
                match coverage(index, &layer, options) {
                    Ok(answer) => Some(Arc::new(
                        CoverageMap::of(&answer).map_err(ApiError::internal)?,
                    )),
                    Err(error) => {
                        tracing::warn!(%error, "no coverage tiles");
                        None
                    }
                }
            }
        };
        *kept = Some(Made {
            from,
            value: value.clone(),
        });
        Ok(value)
    }
}
