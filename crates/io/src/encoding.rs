//! The text encodings of attribute tables: UTF-8 (the default), and GBK or GB 18030, which
//! Chinese offices' files often use. Each field is decoded on its own, so that a bad one is
//! reported by line and column and the rest of the file goes on; nothing is ever stored as
//! mojibake.
//!
//! - Read as UTF-8, a field that is not UTF-8 is refused; when it reads as GBK, the refusal says
//!   so and names `--encoding gbk`.
//! - Read as GBK, a field that is valid UTF-8 and not plain ASCII (Chinese or accented text in
//!   UTF-8) is refused: read as GBK it would be mojibake. The refusal shows both readings, since
//!   a GBK field can, rarely, also be valid UTF-8 (a single character such as 全).
//!
//! Decoding is per field, so a file that mixes both is caught field by field.

use std::borrow::Cow;

refuge_core::named_enum! {
    /// The text encoding of a file's attributes.
    #[derive(Default)]
    pub enum TextEncoding ("text encoding") {
        /// UTF-8, the default.
        #[default]
        Utf8 = "utf_8" | "utf8" | "UTF8",
        /// GBK (Windows code page 936), decoded as GB 18030, of which it is a part.
        Gbk = "gbk" | "cp936" | "CP936",
        /// GB 18030.
        Gb18030 = "gb18030" | "GB18030",
    }
}

impl TextEncoding {
    /// The encoding a Shapefile's `.cpg` names (`UTF-8`, `GBK`, `936`, `GB18030`), if Refuge
    /// reads it.
    pub fn from_label(label: &str) -> Option<Self> {
        let label = label.trim();
        if label == "936" || label.eq_ignore_ascii_case("cp936") {
            return Some(TextEncoding::Gbk);
        }
        match encoding_rs::Encoding::for_label(label.as_bytes())? {
            e if e == encoding_rs::UTF_8 => Some(TextEncoding::Utf8),
            e if e == encoding_rs::GBK => Some(TextEncoding::Gbk),
            e if e == encoding_rs::GB18030 => Some(TextEncoding::Gb18030),
            _ => None,
        }
    }

    /// The text of `bytes`, the value of column `column`; the error says what is wrong with it.
    pub fn decode<'a>(self, bytes: &'a [u8], column: &str) -> Result<Cow<'a, str>, String> {
        let utf8 = std::str::from_utf8(bytes);
        match self {
            TextEncoding::Utf8 => utf8
                .map(Cow::Borrowed)
                .map_err(|_| match as_gb18030(bytes) {
                    Some(text) => format!(
                        "column `{column}` is not UTF-8; it reads as GBK (`{}`): import it with \
                         --encoding gbk",
                        excerpt(&text)
                    ),
                    None => format!(
                        "column `{column}` is not UTF-8 text (save the file as UTF-8, or give \
                         its encoding with --encoding)"
                    ),
                }),
            TextEncoding::Gbk | TextEncoding::Gb18030 => {
                if bytes.is_ascii() {
                    return Ok(Cow::Borrowed(utf8.unwrap_or_default()));
                }
                if let Ok(text) = utf8 {
                    let as_gbk = as_gb18030(bytes).unwrap_or_default();
                    return Err(format!(
                        "column `{column}` reads as UTF-8 (`{}`); as {self} it would be `{}`: if \
                         the file is UTF-8, import it without --encoding {self}",
                        excerpt(text),
                        excerpt(&as_gbk)
                    ));
                }
                as_gb18030(bytes).map(Cow::Owned).ok_or_else(|| {
                    format!(
                        "column `{column}` is not {self} text (give its encoding with --encoding)"
                    )
                })
            }
        }
    }
}

/// `bytes` decoded as GB 18030 (GBK's superset), if they are that.
fn as_gb18030(bytes: &[u8]) -> Option<String> {
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(Cow::into_owned)
}

/// The first few characters of a text, for a message.
fn excerpt(text: &str) -> String {
    let mut short: String = text.chars().take(24).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}
