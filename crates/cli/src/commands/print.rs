//! `refuge print`: the printable community map as a PDF. Headless Chromium prints the map page's
//! print view (`/?print=…`, web/js/print.js) of a server: a running one (`--server`), or one
//! started here on loopback for the print, over `--store` or the demo city.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use refuge_core::BBox;
use refuge_server::{AppState, Config};
use refuge_store::Store;

use crate::area::{parse_bbox, parse_point};

/// How long Chromium may take to load, draw and print the sheet.
const PRINT_TIMEOUT: Duration = Duration::from_secs(180);

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Paper {
    A4,
    A3,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Language {
    Zh,
    En,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The area: west,south,east,north in degrees.
    #[arg(long, value_parser = parse_bbox, required_unless_present = "community", conflicts_with = "community")]
    bbox: Option<BBox>,
    /// The area of a community (or any administrative area) of the base map, by name.
    #[arg(long)]
    community: Option<String>,
    /// The point whose nearest shelters the sheet lists, lon,lat (default: the area's centre).
    #[arg(long, value_parser = parse_point)]
    at: Option<[f64; 2]>,
    /// Paper size.
    #[arg(long, value_enum, default_value = "a4")]
    paper: Paper,
    /// Landscape instead of portrait.
    #[arg(long)]
    landscape: bool,
    /// The sheet's language.
    #[arg(long, value_enum, default_value = "zh")]
    lang: Language,
    /// The sheet's title (default: "Community emergency map" in its language, or the community's name).
    #[arg(long)]
    title: Option<String>,
    /// The PDF to write.
    #[arg(long, short)]
    output: PathBuf,
    /// A running Refuge server to print from; by default one is started here on loopback for the
    /// print, over --store or the demo city.
    #[arg(long, value_name = "URL", conflicts_with = "store")]
    server: Option<String>,
    /// The store to print from.
    #[arg(long, env = "REFUGE_STORE")]
    store: Option<String>,
    /// Chromium or Chrome (default: the first of chromium, chromium-browser, google-chrome,
    /// google-chrome-stable on PATH).
    #[arg(long, env = "REFUGE_CHROMIUM")]
    chromium: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    let chromium = find_chromium(args.chromium.as_deref())?;
    let area = crate::area::area(args.bbox, args.community.as_deref(), "a sheet", || {
        let base = match args.store.as_deref() {
            Some(store) => Store::at(store)?.load()?.base,
            None => refuge_io::demo::demo_city()?.base,
        };
        Ok(std::borrow::Cow::Owned(refuge_tiles::BaseMap::new(base)))
    })?;
    let (bounds, title) = (area.bounds, area.community);
    let server = match &args.server {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => start_server(args.store.as_deref())?,
    };
    let mut query = vec![
        (
            "print",
            format!(
                "{}-{}",
                match args.paper {
                    Paper::A4 => "a4",
                    Paper::A3 => "a3",
                },
                if args.landscape {
                    "landscape"
                } else {
                    "portrait"
                }
            ),
        ),
        ("bbox", bounds.map(|v| format!("{v:.6}")).join(",")),
        (
            "lang",
            match args.lang {
                Language::Zh => "zh",
                Language::En => "en",
            }
            .to_owned(),
        ),
    ];
    if let Some(at) = args.at {
        query.push(("at", at.map(|v| format!("{v:.6}")).join(",")));
    }
    if let Some(title) = args.title.or(title) {
        query.push(("title", title));
    }
    let url = format!(
        "{server}/?{}",
        serde_urlencoded::to_string(&query).context("cannot make the print address")?
    );
    let started = Instant::now();
    print_to_pdf(&chromium, &url, &args.output)?;
    eprintln!(
        "wrote {} from {url} in {:.1} s",
        args.output.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A server on a free loopback port for this print, over `store` or the demo city; it ends with
/// this command. Returns its address.
fn start_server(store: Option<&str>) -> Result<String> {
    let config = Config {
        bind: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        ..Config::default()
    };
    let state = match store {
        Some(path) => {
            let store = Store::at(path)?;
            anyhow::ensure!(
                !store.is_empty()?,
                "the store {path} is empty: nothing to print"
            );
            AppState::open(store, None, config)?
        }
        None => AppState::demo(config).context("cannot build the demo city")?,
    };
    let (address_tx, address_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = match tokio::runtime::Runtime::new() {
            Ok(runtime) => runtime,
            Err(error) => {
                let _ = address_tx.send(Err(error.to_string()));
                return;
            }
        };
        let failed = address_tx.clone();
        let served = runtime.block_on(refuge_server::serve(state, move |address| {
            let _ = address_tx.send(Ok(address));
        }));
        if let Err(error) = served {
            let _ = failed.send(Err(error.to_string()));
        }
    });
    let address = address_rx
        .recv_timeout(Duration::from_secs(60))
        .context("the print server did not start")?
        .map_err(|error| anyhow::anyhow!("the print server could not start: {error}"))?;
    Ok(format!("http://{address}"))
}

/// The browser to print with.
fn find_chromium(given: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = given {
        anyhow::ensure!(path.exists(), "--chromium {}: no such file", path.display());
        return Ok(path.to_owned());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|candidate| candidate.is_file())
    .context(
        "refuge print needs Chromium or Chrome to lay out the sheet: install it (Debian: \
             apt-get install chromium) or name it with --chromium",
    )
}

/// Headless Chromium opens `url`, waits until the page says the sheet is ready to print
/// (`html[data-print-ready]`: tiles drawn, nearest shelters listed, QR code made) and prints it to
/// `output` at the sheet's own paper size, through the DevTools protocol.
fn print_to_pdf(chromium: &Path, url: &str, output: &Path) -> Result<()> {
    let profile = tempfile::tempdir().context("cannot make a browser profile folder")?;
    let mut command = Command::new(chromium);
    command.args([
        "--headless",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--remote-debugging-port=0",
    ]);
    if running_as_root() {
        // Chromium's sandbox refuses to run as root.
        command.arg("--no-sandbox");
    }
    let mut child = command
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("about:blank")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", chromium.display()))?;
    let printed = (|| {
        let stderr = child.stderr.take().context("no output from the browser")?;
        let endpoint = devtools_endpoint(stderr)?;
        let mut browser = DevTools::connect(&endpoint)?;
        browser.print(url)
    })();
    let _ = child.kill();
    let _ = child.wait();
    let pdf =
        printed.with_context(|| format!("{} could not print the sheet", chromium.display()))?;
    std::fs::write(output, pdf).with_context(|| format!("cannot write {}", output.display()))?;
    Ok(())
}

/// The browser's DevTools address, from the line Chromium writes when it listens.
fn devtools_endpoint(stderr: std::process::ChildStderr) -> Result<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut said = Vec::new();
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(at) = line.find("ws://") {
                let _ = tx.send(Ok(line[at..].trim().to_owned()));
                return;
            }
            said.push(line);
        }
        let _ = tx.send(Err(said.join("\n")));
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Ok(endpoint)) => Ok(endpoint),
        Ok(Err(said)) => anyhow::bail!("it stopped before listening: {said}"),
        Err(_) => anyhow::bail!("it did not start listening within 30 s"),
    }
}

/// A DevTools protocol connection to the browser, with one page attached.
struct DevTools {
    socket: tungstenite::WebSocket<std::net::TcpStream>,
    next_id: u64,
    session: Option<String>,
}

impl DevTools {
    fn connect(endpoint: &str) -> Result<Self> {
        let address = endpoint
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .context("an odd DevTools address")?;
        let stream = std::net::TcpStream::connect(address)?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        let (socket, _) = tungstenite::client(endpoint, stream)
            .map_err(|e| anyhow::anyhow!("cannot speak to the browser: {e}"))?;
        Ok(Self {
            socket,
            next_id: 0,
            session: None,
        })
    }

    /// Sends one command (to the attached page, once there is one) and returns its result.
    fn call(&mut self, method: &str, params: serde_json::Value) -> Result<serde_json::Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = serde_json::json!({"id": id, "method": method, "params": params});
        if let Some(session) = &self.session {
            message["sessionId"] = serde_json::json!(session);
        }
        self.socket
            .send(tungstenite::Message::text(message.to_string()))
            .map_err(|e| anyhow::anyhow!("{method}: {e}"))?;
        loop {
            let reply = self
                .socket
                .read()
                .map_err(|e| anyhow::anyhow!("{method}: {e}"))?;
            let tungstenite::Message::Text(text) = reply else {
                continue;
            };
            let reply: serde_json::Value = serde_json::from_str(&text)?;
            if reply["id"] != id {
                continue; // an event, or another answer
            }
            if let Some(error) = reply.get("error") {
                anyhow::bail!("{method}: {}", error["message"]);
            }
            return Ok(reply["result"].clone());
        }
    }

    /// Opens `url` in a new page, waits until its sheet is ready, and prints it.
    fn print(&mut self, url: &str) -> Result<Vec<u8>> {
        let target = self.call(
            "Target.createTarget",
            serde_json::json!({"url": "about:blank"}),
        )?;
        let attached = self.call(
            "Target.attachToTarget",
            serde_json::json!({"targetId": target["targetId"], "flatten": true}),
        )?;
        self.session = attached["sessionId"].as_str().map(str::to_owned);
        let navigated = self.call("Page.navigate", serde_json::json!({"url": url}))?;
        if let Some(error) = navigated["errorText"].as_str() {
            anyhow::bail!("cannot open {url}: {error}");
        }
        let started = Instant::now();
        loop {
            let state = self.call(
                "Runtime.evaluate",
                serde_json::json!({
                    "expression": "[document.documentElement.dataset.printReady || '', \
                        document.querySelector('#status')?.textContent || '', \
                        document.readyState, Boolean(document.getElementById('print-head'))]",
                    "returnByValue": true,
                }),
            )?;
            let value = &state["result"]["value"];
            if value[0] == "true" {
                break;
            }
            if value[0] == "failed" {
                anyhow::bail!(
                    "the map page says: {}",
                    value[1].as_str().unwrap_or_default()
                );
            }
            if value[2] == "complete" && value[3] == false {
                anyhow::bail!("{url} is not a Refuge map page (an error page, or another site)");
            }
            anyhow::ensure!(
                started.elapsed() < PRINT_TIMEOUT,
                "the sheet was not ready within {} s",
                PRINT_TIMEOUT.as_secs()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
        let printed = self.call(
            "Page.printToPDF",
            serde_json::json!({"preferCSSPageSize": true, "printBackground": true}),
        )?;
        let data = printed["data"]
            .as_str()
            .context("the browser sent no PDF")?;
        use base64::Engine;
        let pdf = base64::engine::general_purpose::STANDARD
            .decode(data)
            .context("the browser's PDF is not base64")?;
        anyhow::ensure!(
            pdf.starts_with(b"%PDF"),
            "the browser's answer is not a PDF"
        );
        Ok(pdf)
    }
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}
