//! `refuge activate`: open the suitable shelters of an area for an emergency, list activations,
//! or end one, through the running server.

use anyhow::{Result, bail};
use refuge_core::{BBox, HazardType};
use serde_json::{Value, json};

use super::import::parse;
use super::write::{Body, Server, call};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The emergency [earthquake, flood, waterlogging, typhoon, fire, landslide, chemical,
    /// public_health].
    #[arg(long, value_parser = parse::<HazardType>, required_unless_present_any = ["end", "list"])]
    hazard: Option<HazardType>,
    /// The area: west,south,east,north in WGS84 degrees.
    #[arg(long, value_parser = crate::area::parse_bbox, conflicts_with = "district")]
    bbox: Option<BBox>,
    /// The area: a district of the map's boundaries, by name or code (e.g. 东城区 or 156110101).
    #[arg(long)]
    district: Option<String>,
    /// End this activation instead: its shelters return to standby unless reported otherwise.
    #[arg(long, value_name = "ID", conflicts_with_all = ["hazard", "list"])]
    end: Option<u64>,
    /// List the activations.
    #[arg(long)]
    list: bool,
    #[command(flatten)]
    server: Server,
}

pub fn run(args: Args) -> Result<()> {
    if args.list {
        let answer = call(
            &args.server,
            "GET",
            "/api/v1/activations",
            Body::Empty,
            None,
        )?;
        for activation in answer["activations"].as_array().into_iter().flatten() {
            print_activation(activation);
        }
        return Ok(());
    }
    if let Some(id) = args.end {
        let path = format!("/api/v1/activations/{id}");
        let ended = call(&args.server, "DELETE", &path, Body::Empty, None)?;
        let returned = ended["returned_to_standby"].as_array().map_or(0, Vec::len);
        println!("activation {id} ended: {returned} shelters back on standby");
        return Ok(());
    }
    let Some(hazard) = args.hazard else {
        bail!("give --hazard, or --end ID, or --list");
    };
    let request = match (args.bbox, args.district) {
        (Some(bbox), None) => {
            let (min, max) = (bbox.min(), bbox.max());
            let ring = [
                [min.lon(), min.lat()],
                [max.lon(), min.lat()],
                [max.lon(), max.lat()],
                [min.lon(), max.lat()],
                [min.lon(), min.lat()],
            ];
            json!({ "hazard": hazard, "area": { "type": "Polygon", "coordinates": [ring] } })
        }
        (None, Some(district)) => json!({ "hazard": hazard, "district": district }),
        _ => bail!("give the area: --bbox west,south,east,north or --district NAME"),
    };
    let started = call(
        &args.server,
        "POST",
        "/api/v1/activations",
        Body::Json(request),
        None,
    )?;
    print_activation(&started);
    Ok(())
}

fn print_activation(activation: &Value) {
    let count = |key: &str| activation[key].as_array().map_or(0, Vec::len);
    let state = if activation["ended_at"].is_string() {
        "ended"
    } else {
        "active"
    };
    println!(
        "activation {} ({state}): {} {}: {} shelters opened ({} of unknown suitability), {} left as they were",
        activation["id"],
        activation["hazard"].as_str().unwrap_or("?"),
        activation["district"].as_str().unwrap_or("area"),
        count("opened"),
        count("suitability_unknown"),
        count("left"),
    );
}
