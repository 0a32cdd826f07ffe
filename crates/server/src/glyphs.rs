//! Label glyphs made by the server from DejaVu Sans, each 256-code-point range rendered once.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;
use refuge_tiles::GlyphRenderer;

/// Rendered ranges by their first code point (at most 256 of them).
#[derive(Debug)]
pub struct GlyphCache {
    renderer: GlyphRenderer,
    ranges: Mutex<HashMap<u32, Bytes>>,
}

impl GlyphCache {
    /// A cache over DejaVu Sans.
    pub fn new() -> Result<Self, refuge_tiles::Error> {
        Ok(Self {
            renderer: GlyphRenderer::dejavu_sans()?,
            ranges: Mutex::new(HashMap::new()),
        })
    }

    /// The range starting at `start`, rendered on first demand.
    pub fn get_or_render(&self, start: u32) -> Result<Bytes, refuge_tiles::Error> {
        if let Some(bytes) = self.lock().get(&start) {
            return Ok(bytes.clone());
        }
        let bytes = Bytes::from(self.renderer.range("DejaVu Sans Book", start)?);
        self.lock().insert(start, bytes.clone());
        Ok(bytes)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Bytes>> {
        self.ranges
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
