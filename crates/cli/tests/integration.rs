//! The `refuge` binary as a user runs it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::process::Command;

fn refuge(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_refuge"))
        .args(args)
        .env_remove("REFUGE_DATA")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_readme_query_lists_three_real_shelters_with_metres() {
    let (ok, out, err) = refuge(&[
        "query", "nearest", "--lon", "7.4200", "--lat", "43.7350", "--kind", "shelter", "-k", "3",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("Square Théodore Gastaud"), "{out}");
    assert_eq!(out.matches(" m ").count(), 3, "{out}");
    let (ok, json, _) = refuge(&[
        "query", "nearest", "--lon", "7.42", "--lat", "43.735", "--kind", "shelter", "-k", "3",
        "--json",
    ]);
    assert!(ok);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let distances: Vec<f64> = value["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["distance_m"].as_f64().unwrap())
        .collect();
    assert_eq!(distances.len(), 3);
    assert!(distances.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn bad_arguments_are_named() {
    let (ok, _, err) = refuge(&[
        "query", "nearest", "--lon", "7.42", "--lat", "95", "--kind", "shelter",
    ]);
    assert!(!ok && err.contains("latitude 95"), "{err}");
    let (ok, _, err) = refuge(&[
        "query", "nearest", "--lon", "7.42", "--lat", "43", "--kind", "castle",
    ]);
    assert!(
        !ok && err.contains("castle") && err.contains("micro_storage"),
        "{err}"
    );
    let (ok, _, err) = refuge(&[
        "query", "nearest", "--lon", "7.42", "--lat", "43", "-k", "0",
    ]);
    assert!(!ok && err.contains("0"), "{err}");
    let (ok, _, err) = refuge(&["import", "no-such-file.csv"]);
    assert!(!ok && err.contains("no-such-file.csv"), "{err}");
}

#[test]
fn import_then_query_the_imported_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("shelters.csv");
    std::fs::write(&input, "id,lng,lat,name,capacity,status\nA,116.403963,39.915119,天安门广场,5000,open\nB,116.5,39.9,Far,10,open\nC,116.4,91,Broken,1,open\n").unwrap();
    let output = dir.path().join("out.geojson");
    let (ok, out, err) = refuge(&[
        "import",
        input.to_str().unwrap(),
        "--crs",
        "gcj02",
        "--kind",
        "shelter",
        "-o",
        output.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("3 read, 2 accepted, 1 rejected"), "{out}");
    assert!(
        out.contains("line 4") && out.contains("latitude 91"),
        "{out}"
    );
    let (ok, out, err) = refuge(&[
        "query",
        "nearest",
        "--lon",
        "116.3975",
        "--lat",
        "39.9087",
        "--kind",
        "shelter",
        "--has-room",
        "-k",
        "1",
        "--data",
        output.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("5000/5000 free"), "{out}");
}

#[test]
fn export_and_stats_work_on_the_demo() {
    let (ok, csv, err) = refuge(&["export", "--format", "csv", "--kind", "reserve"]);
    assert!(ok, "{err}");
    assert_eq!(
        csv.lines().count(),
        1 + 10,
        "a header and the ten depots: {csv}"
    );
    let (ok, out, _) = refuge(&["stats"]);
    assert!(ok);
    assert!(out.contains("1 shortages against quota"), "{out}");
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_refuge"))
        .args(["export", "--format", "geojson"])
        .env_remove("REFUGE_DATA")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // like `refuge export | head -0`
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
