//! The tile cache: bounded in bytes, one entry per tile with the data version it was made from,
//! holding each tile's compressed forms so that a cache hit never compresses again. Whether an
//! entry is still valid at a later version is for
//! [`AppState::still_valid`](crate::AppState::still_valid) to say.
//!
//! Brotli at its best (quality 11) takes about 11 ms for a 10 KB facility tile, 40 times as long
//! as making the tile (`cargo bench -p refuge-server --bench compress`). The first request for a
//! tile gets quality 1 (0.09 ms, 18 % larger), and a blocking thread then swaps in quality 11 for
//! every later hit.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use arc_swap::ArcSwapOption;
use axum::body::Bytes;
use refuge_tiles::{TileCoord, Tileset};

/// A tile's address.
pub type TileKey = (Tileset, TileCoord);

/// One encoded tile and its compressed forms, made on first demand.
#[derive(Debug)]
pub struct CachedTile {
    /// The data version it was made from.
    made: u64,
    /// The newest data version it is known to be valid at.
    checked: AtomicU64,
    identity: Bytes,
    gzip: OnceLock<Bytes>,
    /// Fast brotli on first demand, replaced by the best once it is made.
    brotli: ArcSwapOption<Bytes>,
    /// Whether the best brotli has been asked for.
    best_brotli_claimed: AtomicBool,
}

/// Brotli for a tile's first request: fast.
const FIRST_BROTLI: i32 = 1;

/// Brotli made in the background for every later request: the smallest.
const BEST_BROTLI: i32 = 11;

/// A content coding a client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// Brotli.
    Brotli,
    /// Gzip.
    Gzip,
    /// As it is.
    Identity,
}

/// Whether an `Accept-Encoding` header allows the coding `name` (not refused with `q=0`).
pub fn accepts(accept_encoding: Option<&str>, name: &str) -> bool {
    accept_encoding.is_some_and(|header| {
        header.split(',').any(|part| {
            let mut pieces = part.split(';');
            let coding = pieces.next().unwrap_or("").trim();
            let refused = pieces.any(|p| p.trim().replace(' ', "") == "q=0");
            coding.eq_ignore_ascii_case(name) && !refused
        })
    })
}

impl Coding {
    /// The best coding an `Accept-Encoding` header allows: brotli, then gzip.
    pub fn negotiate(accept_encoding: Option<&str>) -> Self {
        let accepts = |name: &str| accepts(accept_encoding, name);
        if accepts("br") {
            Coding::Brotli
        } else if accepts("gzip") {
            Coding::Gzip
        } else {
            Coding::Identity
        }
    }

    /// The `Content-Encoding` value, if any.
    pub fn header(self) -> Option<&'static str> {
        match self {
            Coding::Brotli => Some("br"),
            Coding::Gzip => Some("gzip"),
            Coding::Identity => None,
        }
    }
}

impl CachedTile {
    /// A tile's bytes, made from data `version`.
    pub fn new(identity: Vec<u8>, version: u64) -> Self {
        Self {
            made: version,
            checked: AtomicU64::new(version),
            identity: Bytes::from(identity),
            gzip: OnceLock::new(),
            brotli: ArcSwapOption::empty(),
            best_brotli_claimed: AtomicBool::new(false),
        }
    }

    /// The bytes in `coding`, compressing once on first demand (brotli fast, see
    /// [`Self::claim_best_brotli`]).
    pub fn bytes(&self, coding: Coding) -> Bytes {
        match coding {
            Coding::Identity => self.identity.clone(),
            Coding::Gzip => self
                .gzip
                .get_or_init(|| Bytes::from(gzip(&self.identity)))
                .clone(),
            Coding::Brotli => {
                if let Some(made) = self.brotli.load_full() {
                    return Bytes::clone(&made);
                }
                let fast = Arc::new(Bytes::from(brotli(&self.identity, FIRST_BROTLI)));
                // Two first requests at once: the one stored first stays (it may be the best).
                let previous = self
                    .brotli
                    .compare_and_swap(&None::<Arc<Bytes>>, Some(Arc::clone(&fast)));
                match &*previous {
                    Some(stored) => Bytes::clone(stored),
                    None => Bytes::clone(&fast),
                }
            }
        }
    }

    /// True once, for the caller who should now run [`Self::make_best_brotli`] (on a blocking
    /// thread): after the first brotli request.
    pub fn claim_best_brotli(&self) -> bool {
        !self.identity.is_empty() && !self.best_brotli_claimed.swap(true, Ordering::AcqRel)
    }

    /// Compresses at the best brotli quality and swaps it in for every later request.
    pub fn make_best_brotli(&self) {
        self.brotli.store(Some(Arc::new(Bytes::from(brotli(
            &self.identity,
            BEST_BROTLI,
        )))));
    }

    /// The data version it was made from.
    pub fn made(&self) -> u64 {
        self.made
    }

    /// The newest data version it is known to be valid at.
    pub fn checked(&self) -> u64 {
        self.checked.load(Ordering::Acquire)
    }

    /// Notes that it is valid at data `version` too.
    pub fn still_valid_at(&self, version: u64) {
        self.checked.fetch_max(version, Ordering::AcqRel);
    }

    /// Whether the tile has no bytes (no feature anywhere in it).
    pub fn is_empty(&self) -> bool {
        self.identity.is_empty()
    }

    fn weight(&self) -> usize {
        // Room for the identity bytes and both compressed forms, which are smaller.
        self.identity.len() * 2 + 64
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

fn brotli(data: &[u8], quality: i32) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality,
        // A window no larger than the tile: less to set up for a small one.
        lgwin: (usize::BITS - data.len().leading_zeros()).clamp(16, 22) as i32,
        ..Default::default()
    };
    let _ = brotli::BrotliCompress(&mut &data[..], &mut out, &params);
    out
}

/// The cache. Beyond the byte budget the oldest entries go first.
#[derive(Debug)]
pub struct TileCache {
    budget: usize,
    inner: Mutex<Inner>,
    /// Tiles being made, by address and data version: requests for a tile being made wait for
    /// it rather than each making it (after a write, a popular tile is asked for by many at once).
    making: Mutex<HashMap<(TileKey, u64), Making>>,
    /// Whether a tile's best brotli is being made.
    best_brotli_busy: Arc<AtomicBool>,
}

/// One making of a tile that every request for it waits on.
pub type Making = Arc<tokio::sync::OnceCell<Arc<CachedTile>>>;

/// A request's share in a making. The making is forgotten once the tile is made, or when the
/// last request waiting for it goes: later requests find the tile cached, or make it again.
#[derive(Debug)]
pub struct Share<'a> {
    cache: &'a TileCache,
    at: (TileKey, u64),
    /// What the request waits on.
    pub making: Making,
}

impl Drop for Share<'_> {
    fn drop(&mut self) {
        let mut making = self.cache.lock_making();
        let over = making.get(&self.at).is_some_and(|current| {
            // Clones are made under this lock: two are the map's and this one.
            Arc::ptr_eq(current, &self.making)
                && (self.making.initialized() || Arc::strong_count(&self.making) <= 2)
        });
        if over {
            making.remove(&self.at);
        }
    }
}

/// The turn to make one tile's best brotli; the next may start when it is dropped.
#[derive(Debug)]
pub struct BestBrotliTurn(Arc<AtomicBool>);

impl Drop for BestBrotliTurn {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

#[derive(Debug, Default)]
struct Inner {
    used: usize,
    tiles: HashMap<TileKey, Arc<CachedTile>>,
    order: VecDeque<TileKey>,
}

impl TileCache {
    /// A cache of at most `budget` bytes.
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            inner: Mutex::new(Inner::default()),
            making: Mutex::default(),
            best_brotli_busy: Arc::default(),
        }
    }

    /// A share in the making of the tile at `key` from data `version`: the one under way, or a
    /// new one.
    pub fn share(&self, key: TileKey, version: u64) -> Share<'_> {
        let making = Arc::clone(self.lock_making().entry((key, version)).or_default());
        Share {
            cache: self,
            at: (key, version),
            making,
        }
    }

    fn lock_making(&self) -> MutexGuard<'_, HashMap<(TileKey, u64), Making>> {
        self.making
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The turn to make a tile's best brotli, unless one is being made.
    pub fn best_brotli_turn(&self) -> Option<BestBrotliTurn> {
        let busy = self.best_brotli_busy.swap(true, Ordering::AcqRel);
        (!busy).then(|| BestBrotliTurn(Arc::clone(&self.best_brotli_busy)))
    }

    /// The cached tile, if any.
    pub fn get(&self, key: &TileKey) -> Option<Arc<CachedTile>> {
        self.lock().tiles.get(key).cloned()
    }

    /// Whether a tile is cached at `key`.
    pub fn holds(&self, key: &TileKey) -> bool {
        self.lock().tiles.contains_key(key)
    }

    /// Stores a tile and returns it.
    pub fn insert(&self, key: TileKey, tile: CachedTile) -> Arc<CachedTile> {
        let tile = Arc::new(tile);
        let mut inner = self.lock();
        if tile.weight() > self.budget {
            return tile;
        }
        if let Some(old) = inner.tiles.insert(key, Arc::clone(&tile)) {
            inner.used -= old.weight();
        } else {
            inner.order.push_back(key);
        }
        inner.used += tile.weight();
        while inner.used > self.budget {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some(gone) = inner.tiles.remove(&oldest) {
                inner.used -= gone.weight();
            }
        }
        tile
    }

    /// Bytes and entries held.
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.used, inner.tiles.len())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(x: u32) -> TileKey {
        (Tileset::Facilities, TileCoord::new(10, x, 0).unwrap())
    }

    #[test]
    fn stays_within_its_budget_oldest_out_first() {
        let cache = TileCache::new(1_000);
        for x in 0..10 {
            cache.insert(key(x), CachedTile::new(vec![0; 100], 1));
        }
        let (used, entries) = cache.usage();
        assert!(used <= 1_000, "{used}");
        assert!(entries < 10 && cache.get(&key(9)).is_some() && cache.get(&key(0)).is_none());
        cache.insert(key(9), CachedTile::new(vec![1; 10], 2));
        assert_eq!(
            cache.get(&key(9)).map(|tile| tile.made()),
            Some(2),
            "replaced"
        );
        assert!(
            cache.usage().0 < used,
            "the replaced tile's bytes are given back"
        );
        let tiny = TileCache::new(10);
        tiny.insert(key(1), CachedTile::new(vec![0; 100], 1));
        assert_eq!(
            tiny.usage(),
            (0, 0),
            "a tile larger than the budget is not kept"
        );
    }

    #[test]
    fn negotiates_like_a_browser() {
        assert_eq!(Coding::negotiate(Some("gzip, deflate, br")), Coding::Brotli);
        assert_eq!(Coding::negotiate(Some("gzip, br;q=0")), Coding::Gzip);
        assert_eq!(Coding::negotiate(None), Coding::Identity);
        let tile = CachedTile::new(vec![7; 1000], 1);
        let gz = tile.bytes(Coding::Gzip);
        assert!(gz.len() < 100 && gz.starts_with(&[0x1f, 0x8b]));
        let fast = tile.bytes(Coding::Brotli);
        assert!(fast.len() < 100);
        assert!(
            tile.claim_best_brotli() && !tile.claim_best_brotli(),
            "claimed once"
        );
        tile.make_best_brotli();
        let best = tile.bytes(Coding::Brotli);
        assert!(best.len() <= fast.len());
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &best[..], &mut decoded).unwrap();
        assert_eq!(decoded, vec![7; 1000]);
    }
}
