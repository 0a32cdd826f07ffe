//! The map page's own files: built into the binary, so `refuge serve` shows the whole map from any
//! folder with nothing else installed; read from a folder instead while the page is developed.

use std::path::{Path, PathBuf};

/// One file of the page: the path it is served at, its place under `web/` (or `tiles/`), its
/// media type and the bytes built in.
pub struct PageFile {
    /// The URL path.
    pub url: &'static str,
    /// Where it lives in the repository, relative to its folder.
    pub file: &'static str,
    /// Its media type.
    pub media_type: &'static str,
    /// The copy built into the binary.
    pub built_in: &'static [u8],
    /// Which folder it comes from.
    pub folder: Folder,
}

/// The folder a page file comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folder {
    /// `web/`: the page.
    Web,
    /// `tiles/`: the map style.
    Style,
}

macro_rules! page_file {
    ($url:literal, $folder:ident, $file:literal, $media_type:literal) => {
        PageFile {
            url: $url,
            file: $file,
            media_type: $media_type,
            built_in: include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../",
                page_file!(@dir $folder),
                "/",
                $file
            )),
            folder: Folder::$folder,
        }
    };
    (@dir Web) => { "web" };
    (@dir Style) => { "tiles" };
}

/// Every file the page is made of, and nothing else: no `node_modules/`, tests or package files.
pub const PAGE: &[PageFile] = &[
    page_file!("/", Web, "index.html", "text/html; charset=utf-8"),
    page_file!("/index.html", Web, "index.html", "text/html; charset=utf-8"),
    page_file!("/app.js", Web, "app.js", "text/javascript; charset=utf-8"),
    page_file!("/app.css", Web, "app.css", "text/css; charset=utf-8"),
    page_file!("/favicon.svg", Web, "favicon.svg", "image/svg+xml"),
    page_file!(
        "/vendor/maplibre-gl/maplibre-gl.js",
        Web,
        "vendor/maplibre-gl/maplibre-gl.js",
        "text/javascript; charset=utf-8"
    ),
    page_file!(
        "/vendor/maplibre-gl/maplibre-gl.css",
        Web,
        "vendor/maplibre-gl/maplibre-gl.css",
        "text/css; charset=utf-8"
    ),
    page_file!(
        "/vendor/maplibre-gl/LICENSE.txt",
        Web,
        "vendor/maplibre-gl/LICENSE.txt",
        "text/plain; charset=utf-8"
    ),
    page_file!("/style.json", Style, "style.json", "application/json"),
];

/// Where the page is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageSource {
    /// The copy built into the binary.
    BuiltIn,
    /// Folders on disk (`--web-dir`), for page development.
    Folders {
        /// The page's folder.
        web: PathBuf,
        /// The style's folder.
        style: PathBuf,
    },
}

impl PageSource {
    /// The page file served at `url`, if there is one.
    pub fn find(url: &str) -> Option<&'static PageFile> {
        PAGE.iter().find(|file| file.url == url)
    }

    /// The bytes of `file`, built in or read from its folder.
    pub fn read(&self, file: &PageFile) -> std::io::Result<std::borrow::Cow<'static, [u8]>> {
        match self {
            PageSource::BuiltIn => Ok(std::borrow::Cow::Borrowed(file.built_in)),
            PageSource::Folders { web, style } => {
                let folder: &Path = match file.folder {
                    Folder::Web => web,
                    Folder::Style => style,
                };
                std::fs::read(folder.join(file.file)).map(std::borrow::Cow::Owned)
            }
        }
    }

    /// What the start-up message says is served.
    pub fn describe(&self) -> String {
        match self {
            PageSource::BuiltIn => "the map page built into this binary".into(),
            PageSource::Folders { web, style } => format!(
                "the map page from {} (style from {})",
                web.display(),
                style.display()
            ),
        }
    }
}
