//! `refuge write …` and `refuge audit`: the write API from the command line, through the running
//! server (so that its map and index change at once), with a bearer token.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use refuge_core::LiveStatus;
use serde_json::{Value, json};

use super::import::parse;

/// Where the server is and who is writing.
#[derive(Debug, clap::Args)]
pub struct Server {
    /// The running server.
    #[arg(long, env = "REFUGE_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// A bearer token (refuge token create).
    #[arg(long, env = "REFUGE_TOKEN", hide_env_values = true)]
    pub token: String,
}

/// What a request sends.
pub enum Body {
    /// Nothing.
    Empty,
    /// A JSON document.
    Json(Value),
    /// A file, streamed as it is read.
    Stream(Box<dyn std::io::Read>),
}

#[derive(Debug, clap::Subcommand)]
pub enum Write {
    /// Report a facility's live status, and a shelter's occupancy (logistics).
    Status {
        /// The facility id.
        id: u64,
        /// The status [standby, open, full, closed, damaged].
        #[arg(long, value_parser = parse::<LiveStatus>)]
        status: LiveStatus,
        /// People sheltering now.
        #[arg(long)]
        occupancy: Option<u32>,
        /// Who reported it (default: the token's name).
        #[arg(long)]
        reported_by: Option<String>,
        #[command(flatten)]
        server: Server,
    },
    /// Record a stock movement (logistics): `--type receive --quantity 100 --lot L1`,
    /// `--type issue --quantity 5`, `--type transfer --to ID --quantity 5`,
    /// `--type count --counted 95`, `--type adjust --delta -3 --reason "damaged"`.
    Stock {
        /// The facility id.
        #[arg(long)]
        facility: u64,
        /// The item id (see data/catalog.csv).
        #[arg(long)]
        item: String,
        /// receive, issue, transfer, count or adjust.
        #[arg(long = "type", value_parser = ["receive", "issue", "transfer", "count", "adjust"])]
        kind: String,
        /// How much (receive, issue, transfer).
        #[arg(long)]
        quantity: Option<u64>,
        /// The lot label (receive).
        #[arg(long)]
        lot: Option<String>,
        /// Expiry date, YYYY-MM-DD (receive).
        #[arg(long)]
        expires: Option<String>,
        /// Destination facility (transfer).
        #[arg(long)]
        to: Option<u64>,
        /// What a stocktake found (count).
        #[arg(long)]
        counted: Option<u64>,
        /// The correction (adjust).
        #[arg(long, allow_hyphen_values = true)]
        delta: Option<i64>,
        /// Why (adjust).
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        server: Server,
    },
    /// Upload a GeoJSON layer of hazard sources and zones (planner).
    Hazards {
        /// The GeoJSON file.
        file: PathBuf,
        #[command(flatten)]
        server: Server,
    },
    /// Add facilities from a GeoJSON Feature or FeatureCollection (admin).
    Create {
        /// The GeoJSON file.
        file: PathBuf,
        #[command(flatten)]
        server: Server,
    },
    /// Delete a facility at a known version (admin).
    Delete {
        /// The facility id.
        id: u64,
        /// The version you read (its ETag `"v<N>"`); a newer stored version refuses the delete.
        #[arg(long)]
        if_version: u64,
        #[command(flatten)]
        server: Server,
    },
}

pub fn run(command: Write) -> Result<()> {
    match command {
        Write::Status {
            id,
            status,
            occupancy,
            reported_by,
            server,
        } => {
            let body =
                json!({ "status": status, "occupancy": occupancy, "reported_by": reported_by });
            let answer = call(
                &server,
                "POST",
                &format!("/api/v1/facilities/{id}/status"),
                Body::Json(without_nulls(body)),
                None,
            )?;
            println!(
                "facility {id}: {} (version {})",
                answer["properties"]["status"].as_str().unwrap_or("?"),
                answer["properties"]["version"]
            );
        }
        Write::Stock {
            facility,
            item,
            kind,
            quantity,
            lot,
            expires,
            to,
            counted,
            delta,
            reason,
            server,
        } => {
            let body = json!({
                "facility": facility, "item": item, "type": kind, "quantity": quantity, "lot": lot,
                "expires": expires, "to": to, "counted": counted, "delta": delta, "reason": reason,
            });
            let answer = call(
                &server,
                "POST",
                "/api/v1/stock/movements",
                Body::Json(without_nulls(body)),
                None,
            )?;
            println!(
                "movement {}: {} {} on hand, {} usable",
                answer["seq"], answer["on_hand"], answer["item"], answer["usable"]
            );
        }
        Write::Hazards { file, server } => {
            let answer = call(
                &server,
                "POST",
                "/api/v1/hazards",
                Body::Json(read_json(&file)?),
                None,
            )?;
            println!("hazards stored: {}", answer["hazards"]);
        }
        Write::Create { file, server } => {
            let document = read_json(&file)?;
            let features = match document["type"].as_str() {
                Some("FeatureCollection") => {
                    document["features"].as_array().cloned().unwrap_or_default()
                }
                _ => vec![document],
            };
            for (n, feature) in (1..).zip(features) {
                let answer = call(
                    &server,
                    "POST",
                    "/api/v1/facilities",
                    Body::Json(feature),
                    None,
                )
                .with_context(|| format!("feature {n}"))?;
                println!("created facility {}", answer["id"]);
            }
        }
        Write::Delete {
            id,
            if_version,
            server,
        } => {
            call(
                &server,
                "DELETE",
                &format!("/api/v1/facilities/{id}"),
                Body::Empty,
                Some(if_version),
            )?;
            println!("deleted facility {id}");
        }
    }
    Ok(())
}

/// `refuge audit`: the newest audit entries (admin).
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// How many.
    #[arg(long, default_value_t = 20)]
    limit: u32,
    #[command(flatten)]
    server: Server,
}

pub fn audit(args: AuditArgs) -> Result<()> {
    let answer = call(
        &args.server,
        "GET",
        &format!("/api/v1/audit?limit={}", args.limit),
        Body::Empty,
        None,
    )?;
    for entry in answer["entries"].as_array().into_iter().flatten() {
        println!(
            "{:>6}  {}  {:<10} {:<24} {:<18} {}",
            entry["seq"],
            entry["at"].as_str().unwrap_or(""),
            entry["role"].as_str().unwrap_or(""),
            entry["actor"].as_str().unwrap_or(""),
            entry["action"].as_str().unwrap_or(""),
            entry["target"].as_str().unwrap_or("")
        );
    }
    Ok(())
}

fn without_nulls(mut value: Value) -> Value {
    if let Value::Object(map) = &mut value {
        map.retain(|_, v| !v.is_null());
    }
    value
}

fn read_json(path: &std::path::Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

/// One request; a 4xx or 5xx becomes an error carrying the server's message.
pub fn call(
    server: &Server,
    method: &str,
    path: &str,
    body: Body,
    version: Option<u64>,
) -> Result<Value> {
    let url = format!("{}{path}", server.server.trim_end_matches('/'));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let auth = format!("Bearer {}", server.token);
    let response = match (method, body) {
        ("GET", _) => agent.get(&url).header("Authorization", &auth).call(),
        ("DELETE", _) => {
            let tag = format!("\"v{}\"", version.unwrap_or(0));
            agent
                .delete(&url)
                .header("Authorization", &auth)
                .header("If-Match", &tag)
                .call()
        }
        (_, Body::Json(body)) => agent
            .post(&url)
            .header("Authorization", &auth)
            .send_json(&body),
        (_, Body::Stream(mut reader)) => agent
            .post(&url)
            .header("Authorization", &auth)
            .header("Content-Type", "application/octet-stream")
            .send(ureq::SendBody::from_reader(&mut reader)),
        (_, Body::Empty) => agent.post(&url).header("Authorization", &auth).send_empty(),
    }
    .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status().as_u16();
    let text = response.into_body().read_to_string().unwrap_or_default();
    let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if status >= 400 {
        let message = answer["error"]["message"].as_str().unwrap_or(&text);
        bail!("{status}: {message}");
    }
    Ok(answer)
}
