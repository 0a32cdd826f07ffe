//! Glyphs for map labels, made here so that labels render with no connection at all: signed
//! distance fields of DejaVu Sans (from the `dejavu` crate) in the protobuf ranges MapLibre asks
//! for at `/glyphs/{fontstack}/{start}-{end}.pbf`. Chinese text is drawn by the browser's own
//! fonts (MapLibre's `localIdeographFontFamily`), so those ranges are never requested.

use pbf_font_tools::prost::Message;
use pbf_font_tools::{Fontstack, Glyph, Glyphs};
use sdf_glyph_renderer::{BitmapGlyph, clamp_to_u8};

use crate::{Error, Result};

/// MapLibre's glyph conventions: 24 px glyphs, a 3 px border, distances out to 8 px, and a
/// quarter of the byte range for the inside.
const SIZE: f32 = 24.0;
const BORDER: usize = 3;
const RADIUS: usize = 8;
const CUTOFF: f64 = 0.25;

/// Renders glyph ranges of one font.
pub struct GlyphRenderer {
    font: fontdue::Font,
    ascent: i32,
}

impl std::fmt::Debug for GlyphRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlyphRenderer")
            .field("ascent", &self.ascent)
            .finish()
    }
}

impl GlyphRenderer {
    /// DejaVu Sans (Bitstream Vera licence, embedded by the `dejavu` crate).
    pub fn dejavu_sans() -> Result<Self> {
        let font =
            fontdue::Font::from_bytes(dejavu::sans::regular(), fontdue::FontSettings::default())
                .map_err(|e| Error::Encode(format!("cannot load DejaVu Sans: {e}")))?;
        let ascent = font
            .horizontal_line_metrics(SIZE)
            .map_or(19, |m| m.ascent.round() as i32);
        Ok(Self { font, ascent })
    }

    /// The protobuf of the 256 code points from `start` (a multiple of 256, at most 65,280)
    /// under the name `fontstack`. Code points the font lacks are left out.
    pub fn range(&self, fontstack: &str, start: u32) -> Result<Vec<u8>> {
        if start % 256 != 0 || start > 65_280 {
            return Err(Error::Coordinate {
                parameter: "range",
                message: format!(
                    "{start} does not start a glyph range (a multiple of 256 up to 65280)"
                ),
            });
        }
        let end = start + 255;
        let glyphs = (start..=end)
            .filter_map(char::from_u32)
            .filter(|c| self.font.lookup_glyph_index(*c) != 0 || *c == ' ')
            .map(|c| self.glyph(c))
            .collect::<Result<Vec<Glyph>>>()?;
        let message = Glyphs {
            stacks: vec![Fontstack {
                name: fontstack.to_owned(),
                range: format!("{start}-{end}"),
                glyphs,
            }],
        };
        Ok(message.encode_to_vec())
    }

    fn glyph(&self, c: char) -> Result<Glyph> {
        let (metrics, coverage) = self.font.rasterize(c, SIZE);
        let bitmap = BitmapGlyph::from_unbuffered(&coverage, metrics.width, metrics.height, BORDER)
            .map_err(|e| Error::Encode(format!("glyph {c:?}: {e}")))?;
        let sdf = clamp_to_u8(&bitmap.render_sdf(RADIUS), CUTOFF)
            .map_err(|e| Error::Encode(format!("glyph {c:?}: {e}")))?;
        let top = metrics.ymin + i32::try_from(metrics.height).unwrap_or(0);
        Ok(Glyph {
            id: u32::from(c),
            bitmap: Some(sdf),
            width: u32::try_from(metrics.width).unwrap_or(0),
            height: u32::try_from(metrics.height).unwrap_or(0),
            left: metrics.xmin,
            top: top - self.ascent,
            advance: metrics.advance_width.round().max(0.0) as u32,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_range_holds_letters_with_sdf_bitmaps() {
        let renderer = GlyphRenderer::dejavu_sans().unwrap();
        let bytes = renderer.range("Noto Sans Regular", 0).unwrap();
        let glyphs = Glyphs::decode(bytes.as_slice()).unwrap();
        let stack = &glyphs.stacks[0];
        assert_eq!(
            (stack.name.as_str(), stack.range.as_str()),
            ("Noto Sans Regular", "0-255")
        );
        let a = stack
            .glyphs
            .iter()
            .find(|g| g.id == u32::from('A'))
            .unwrap();
        let bitmap = a.bitmap.as_ref().unwrap();
        assert_eq!(bitmap.len() as u32, (a.width + 6) * (a.height + 6));
        assert!(a.width > 10 && a.height > 10 && a.advance > 10, "{a:?}");
        assert!(
            bitmap.iter().any(|&v| v > 191) && bitmap.iter().any(|&v| v < 64),
            "inside and outside"
        );
        assert!(
            stack.glyphs.iter().any(|g| g.id == u32::from('é')),
            "French street names"
        );
        assert!(renderer.range("x", 100).is_err());
    }
}
