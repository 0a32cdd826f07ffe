//! The server's configuration: one typed struct; defaults < TOML file < environment and flags,
//! merged in one place ([`Config::load`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// How `refuge serve` runs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Serve the map page from this folder (`web/`) instead of the copy built in: for page
    /// development.
    pub web_dir: Option<PathBuf>,
    /// With `web_dir`, the folder with `style.json` (default: `tiles` beside `web_dir`).
    pub style_dir: Option<PathBuf>,
    /// Origins allowed by CORS; empty: same origin only; `*`: any.
    pub cors_origins: Vec<String>,
    /// Largest request body accepted, bytes (imports excepted).
    pub body_limit_bytes: usize,
    /// Largest file an import (`POST /api/v1/import`, `/api/v1/stock/import`) takes, bytes.
    pub import_limit_bytes: u64,
    /// Longest a request may take, seconds.
    pub request_timeout_secs: u64,
    /// Tile cache budget, bytes.
    pub tile_cache_bytes: usize,
    /// The address clients reach this server at (e.g. `https://map.example.org`), for absolute
    /// tile URLs in TileJSON; without it they are paths on this server.
    pub public_url: Option<String>,
    /// How far past its capacity a shelter's reported occupancy may go (1.5: half as many again),
    /// for crowds beyond the design figure; more is refused as a mistake.
    pub overfill_factor: f64,
    /// Whether `/metrics` answers anyone; by default it needs an admin token.
    pub metrics_public: bool,
    /// How long a client has to send a request's headers, seconds, counted from when the
    /// connection opens or its last response ends: slow and idle connections are closed.
    pub header_read_timeout_secs: u64,
    /// The most live-update streams (`/api/v1/events`) open at once; past it, 503.
    pub max_event_streams: usize,
    /// Refused tokens one address may send in a minute before it is refused outright (429).
    pub failed_sign_ins_per_minute: u32,
    /// Writes one address may make in a minute (429 past it).
    pub writes_per_minute: u32,
    /// The most populated cells one analysis takes (`/api/v1/analysis/…`); larger ones are
    /// refused, naming this limit.
    pub max_analysis_cells: usize,
    /// Tile archives served as extra tilesets, by name: PMTiles or MBTiles files
    /// (`[archives]` in the file, `--archive NAME=FILE` on the command line).
    pub archives: std::collections::BTreeMap<String, PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            web_dir: None,
            style_dir: None,
            cors_origins: Vec::new(),
            body_limit_bytes: 1 << 20,
            import_limit_bytes: 4 << 30,
            request_timeout_secs: 30,
            tile_cache_bytes: 256 << 20,
            public_url: None,
            overfill_factor: 1.5,
            metrics_public: false,
            header_read_timeout_secs: 10,
            max_event_streams: 1_000,
            failed_sign_ins_per_minute: 20,
            writes_per_minute: 1_200,
            max_analysis_cells: 2_000_000,
            archives: std::collections::BTreeMap::new(),
        }
    }
}

/// Values given on the command line or in `REFUGE_*` variables; they win over the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--bind` / `REFUGE_BIND`.
    pub bind: Option<SocketAddr>,
    /// `--web-dir` / `REFUGE_WEB_DIR`.
    pub web_dir: Option<PathBuf>,
    /// `--cors-origin` / `REFUGE_CORS_ORIGINS`.
    pub cors_origins: Option<Vec<String>>,
    /// `--tile-cache-mb` / `REFUGE_TILE_CACHE_MB`.
    pub tile_cache_mb: Option<usize>,
    /// `--archive NAME=FILE`, added to the file's archives.
    pub archives: Vec<(String, PathBuf)>,
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read the configuration {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this struct.
    #[error("invalid configuration {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said (line, column, unknown key, …).
        message: String,
    },
    /// A value breaks a rule.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Defaults, then the TOML `file` if given, then `overrides`; validated.
    pub fn load(file: Option<&Path>, overrides: Overrides) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                Self::parse(&text).map_err(|message| ConfigError::Parse {
                    path: path.to_owned(),
                    message,
                })?
            }
            None => Config::default(),
        };
        if let Some(bind) = overrides.bind {
            config.bind = bind;
        }
        if let Some(web_dir) = overrides.web_dir {
            config.web_dir = Some(web_dir);
        }
        if let Some(origins) = overrides.cors_origins {
            config.cors_origins = origins;
        }
        if let Some(mb) = overrides.tile_cache_mb {
            config.tile_cache_bytes = mb << 20;
        }
        config.archives.extend(overrides.archives);
        config.validate()?;
        Ok(config)
    }

    /// A configuration from TOML text, validated (what a `--config` file holds).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config = Self::parse(text).map_err(|message| ConfigError::Parse {
            path: PathBuf::from("(text)"),
            message,
        })?;
        config.validate()?;
        Ok(config)
    }

    fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.max_analysis_cells == 0 {
            return Err(ConfigError::Invalid(
                "max_analysis_cells must be at least 1".into(),
            ));
        }
        if self.failed_sign_ins_per_minute == 0 || self.writes_per_minute == 0 {
            return Err(ConfigError::Invalid(
                "failed_sign_ins_per_minute and writes_per_minute must be at least 1".into(),
            ));
        }
        if self.header_read_timeout_secs == 0 {
            return Err(ConfigError::Invalid(
                "header_read_timeout_secs must be at least 1".into(),
            ));
        }
        if self.request_timeout_secs == 0 {
            return Err(ConfigError::Invalid(
                "request_timeout_secs must be at least 1".into(),
            ));
        }
        if let Some(url) = &self.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError::Invalid(format!(
                    "public_url `{url}` is not an http:// or https:// address"
                )));
            }
        }
        if !(self.overfill_factor.is_finite() && (1.0..=10.0).contains(&self.overfill_factor)) {
            return Err(ConfigError::Invalid(
                "overfill_factor must be from 1 to 10".into(),
            ));
        }
        if self.body_limit_bytes == 0 {
            return Err(ConfigError::Invalid(
                "body_limit_bytes must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// Where the map page comes from: built in, or the folders given.
    pub fn page_source(&self) -> crate::PageSource {
        match &self.web_dir {
            None => crate::PageSource::BuiltIn,
            Some(web) => crate::PageSource::Folders {
                web: web.clone(),
                style: self.style_dir.clone().unwrap_or_else(|| {
                    web.parent().unwrap_or_else(|| Path::new(".")).join("tiles")
                }),
            },
        }
    }

    /// The header-read (and idle) timeout.
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs)
    }

    /// The request timeout.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_states_the_defaults() {
        let example = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../refuge.example.toml"
        ));
        assert_eq!(
            Config::load(Some(example), Overrides::default()).unwrap(),
            Config::default()
        );
    }

    #[test]
    fn flags_beat_the_file_and_the_file_beats_defaults() {
        let dir = std::env::temp_dir().join(format!("refuge-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("refuge.toml");
        std::fs::write(
            &file,
            "bind = \"127.0.0.1:9000\"\ntile_cache_bytes = 1000\n",
        )
        .unwrap();
        let from_file = Config::load(Some(&file), Overrides::default()).unwrap();
        assert_eq!(from_file.bind.port(), 9000);
        assert_eq!(from_file.tile_cache_bytes, 1000);
        let flags = Overrides {
            bind: Some("127.0.0.1:9100".parse().unwrap()),
            ..Overrides::default()
        };
        assert_eq!(Config::load(Some(&file), flags).unwrap().bind.port(), 9100);
        std::fs::write(&file, "bnd = \"x\"\n").unwrap();
        let err = Config::load(Some(&file), Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("bnd"), "{err}");
    }
}
