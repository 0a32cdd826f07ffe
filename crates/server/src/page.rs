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
/// `app.js` is the entry module; it imports the others from `js/`, and each needs a line here.
pub const PAGE: &[PageFile] = &[
    page_file!("/", Web, "index.html", "text/html; charset=utf-8"),
    page_file!("/index.html", Web, "index.html", "text/html; charset=utf-8"),
    page_file!("/app.js", Web, "app.js", "text/javascript; charset=utf-8"),
    page_file!(
        "/js/api.js",
        Web,
        "js/api.js",
        "text/javascript; charset=utf-8"
    ),
    page_file!(
        "/js/dom.js",
        Web,
        "js/dom.js",
        "text/javascript; charset=utf-8"
    ),
    page_file!(
        "/js/i18n.js",
        Web,
        "js/i18n.js",
        "text/javascript; charset=utf-8"
    ),
    page_file!(
        "/js/layers.js",
        Web,
        "js/layers.js",
        "text/javascript; charset=utf-8"
    ),
    page_file!(
        "/js/live.js",
        Web,
        "js/live.js",
        "text/javascript; charset=utf-8"
    ),
    page_file!(
        "/js/logistics.js",
        Web,
        "js/logistics.js",
        "text/javascript; charset=utf-8"
    ),
    page_file!(
        "/js/map.js",
        Web,
        "js/map.js",
        "text/javascript; charset=utf-8"
    ),
    page_file!(
        "/js/nearest.js",
        Web,
        "js/nearest.js",
        "text/javascript; charset=utf-8"
    ),
    page_file!(
        "/js/planning.js",
        Web,
        "js/planning.js",
        "text/javascript; charset=utf-8"
    ),
    page_file!(
        "/js/popups.js",
        Web,
        "js/popups.js",
        "text/javascript; charset=utf-8"
    ),
    page_file!(
        "/js/search.js",
        Web,
        "js/search.js",
        "text/javascript; charset=utf-8"
    ),
    page_file!(
        "/js/staff.js",
        Web,
        "js/staff.js",
        "text/javascript; charset=utf-8"
    ),
    page_file!(
        "/js/strings.js",
        Web,
        "js/strings.js",
        "text/javascript; charset=utf-8"
    ),
    page_file!("/app.css", Web, "app.css", "text/css; charset=utf-8"),
    page_file!("/sw.js", Web, "sw.js", "text/javascript; charset=utf-8"),
    page_file!(
        "/manifest.webmanifest",
        Web,
        "manifest.webmanifest",
        "application/manifest+json"
    ),
    page_file!(
        "/js/print.js",
        Web,
        "js/print.js",
        "text/javascript; charset=utf-8"
    ),
    page_file!(
        "/vendor/qrcode-generator/qrcode.mjs",
        Web,
        "vendor/qrcode-generator/qrcode.mjs",
        "text/javascript; charset=utf-8"
    ),
    page_file!(
        "/js/offline.js",
        Web,
        "js/offline.js",
        "text/javascript; charset=utf-8"
    ),
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

/// The files of an offline map package (`refuge export --format pmtiles`), by their names in its
/// folder: a page that draws the archive beside it with no server, and what it loads.
pub const PACKAGE: &[PageFile] = &[
    page_file!(
        "index.html",
        Web,
        "package/index.html",
        "text/html; charset=utf-8"
    ),
    page_file!(
        "package.js",
        Web,
        "package/package.js",
        "text/javascript; charset=utf-8"
    ),
    page_file!("favicon.svg", Web, "favicon.svg", "image/svg+xml"),
    page_file!(
        "maplibre-gl.js",
        Web,
        "vendor/maplibre-gl/maplibre-gl.js",
        "text/javascript; charset=utf-8"
    ),
    page_file!(
        "maplibre-gl.css",
        Web,
        "vendor/maplibre-gl/maplibre-gl.css",
        "text/css; charset=utf-8"
    ),
    page_file!(
        "LICENSE-maplibre-gl.txt",
        Web,
        "vendor/maplibre-gl/LICENSE.txt",
        "text/plain; charset=utf-8"
    ),
    page_file!(
        "pmtiles.js",
        Web,
        "vendor/pmtiles/pmtiles.js",
        "text/javascript; charset=utf-8"
    ),
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// How a reference to another file starts in HTML: `src="…"`, `href="…"`.
    const HTML_REFERENCES: &[&str] = &["src=\"", "href=\""];
    /// How an import starts in a module: `from '…'`, `import '…'`, either quote.
    const MODULE_REFERENCES: &[&str] = &["from '", "from \"", "import '", "import \""];

    /// The URL paths `file` loads: its `src`/`href` attributes, or its imports resolved against it.
    fn loaded_by(file: &PageFile) -> Vec<String> {
        let text = String::from_utf8_lossy(file.built_in);
        let (starts, is_html) = if file.media_type.starts_with("text/html") {
            (HTML_REFERENCES, true)
        } else if file.media_type.starts_with("text/javascript")
            && !file.url.starts_with("/vendor/")
        {
            (MODULE_REFERENCES, false)
        } else {
            return Vec::new();
        };
        let folder = &file.url[..=file.url.rfind('/').unwrap()];
        let mut found = Vec::new();
        for start in starts {
            let quote = start.chars().last().unwrap();
            for (at, _) in text.match_indices(start) {
                let rest = &text[at + start.len()..];
                let reference = &rest[..rest.find(quote).unwrap()];
                if reference.starts_with('/') {
                    found.push(reference.to_owned());
                } else if let Some(relative) = reference.strip_prefix("./") {
                    found.push(format!("{folder}{relative}"));
                } else {
                    // Only the page's own files are loaded: an import from elsewhere is a mistake.
                    assert!(
                        is_html,
                        "{} imports `{reference}`, not a path on this server",
                        file.url
                    );
                }
            }
        }
        found
    }

    #[test]
    fn every_file_the_page_loads_is_served_and_every_module_is_loaded() {
        let mut reached = BTreeSet::new();
        let mut queue = vec!["/".to_owned()];
        while let Some(url) = queue.pop() {
            let file = PageSource::find(&url)
                .unwrap_or_else(|| panic!("the page loads `{url}`, which PAGE does not serve"));
            if reached.insert(url) {
                queue.extend(loaded_by(file));
            }
        }
        assert!(reached.contains("/app.js"), "{reached:?}");
        for file in PAGE.iter().filter(|file| file.url.starts_with("/js/")) {
            assert!(
                reached.contains(file.url),
                "{} is served but no module imports it",
                file.url
            );
        }
    }

    #[test]
    fn scripts_go_out_as_javascript() {
        for file in PAGE.iter().filter(|file| file.url.ends_with(".js")) {
            assert_eq!(
                file.media_type, "text/javascript; charset=utf-8",
                "{}",
                file.url
            );
        }
    }

    #[test]
    fn every_file_the_offline_package_page_loads_is_in_the_package() {
        let page = PACKAGE
            .iter()
            .find(|file| file.url == "index.html")
            .unwrap();
        let text = String::from_utf8_lossy(page.built_in);
        let mut loaded = 0;
        for start in HTML_REFERENCES {
            for (at, _) in text.match_indices(start) {
                let rest = &text[at + start.len()..];
                let reference = &rest[..rest.find('"').unwrap()];
                assert!(
                    PACKAGE.iter().any(|file| file.url == reference),
                    "the package page loads `{reference}`, which PACKAGE does not write"
                );
                loaded += 1;
            }
        }
        assert_eq!(
            loaded, 5,
            "favicon, maplibre-gl.css, maplibre-gl.js, pmtiles.js, package.js"
        );
    }

    #[test]
    fn the_service_worker_keeps_every_page_file_but_itself() {
        let worker = PageSource::find("/sw.js").unwrap();
        let text = String::from_utf8_lossy(worker.built_in);
        let list = &text[text.find("const PAGE_FILES = [").unwrap()..];
        let list = &list[..list.find("];").unwrap()];
        let kept: BTreeSet<&str> = list.split('\'').skip(1).step_by(2).collect();
        let served: BTreeSet<&str> = PAGE
            .iter()
            .map(|file| file.url)
            .filter(|url| *url != "/sw.js")
            .collect();
        assert_eq!(kept, served, "sw.js PAGE_FILES and PAGE differ");
    }
}
