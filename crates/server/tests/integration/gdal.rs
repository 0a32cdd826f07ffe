//! Imports through the API of the formats GDAL reads, with the server built with the `gdal`
//! feature: a GeoPackage as it is, a Shapefile as a zip of its files (GBK, by its `.cpg`), a
//! KMZ; a Shapefile sent unzipped and a broken GeoPackage are 400s that change nothing. Without
//! the feature, these formats are a 400 naming the build that reads them.

#![cfg_attr(not(feature = "gdal"), allow(dead_code, unused_imports))]

use std::path::Path;

use axum::http::StatusCode;

use super::city::upload;
use super::writes::fixture;

/// Three shelters far from the demo city, two with Chinese names, as GeoJSON in WGS84.
fn source(dir: &Path) -> String {
    let path = dir.join("source.geojson");
    std::fs::write(
        &path,
        r#"{"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [116.3975, 39.9087]},
         "properties": {"source_id": "g1", "name_zh": "天安门广场避难场所", "capacity": 3000}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [116.2931, 39.9924]},
         "properties": {"source_id": "g2", "name_zh": "海淀公园", "capacity": 1200}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [116.4786, 39.9395]},
         "properties": {"source_id": "g3", "name_zh": "Chaoyang Park", "capacity": 8000}}]}"#,
    )
    .unwrap();
    path.to_str().unwrap().to_owned()
}

fn ogr2ogr(args: &[&str]) {
    let output = std::process::Command::new("ogr2ogr")
        .args(args)
        .output()
        .expect("ogr2ogr runs (apt-get install gdal-bin)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[cfg(feature = "gdal")]
#[tokio::test]
async fn gdal_formats_import_through_the_api() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let source = source(dir.path());
    let at = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    ogr2ogr(&["-f", "GPKG", "-t_srs", "EPSG:4527", &at("s.gpkg"), &source]);
    // A zipped Shapefile (GDAL writes one for a name ending .shp.zip), GBK with its .cpg.
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        "-lco",
        "ENCODING=CP936",
        &at("s.shp.zip"),
        &source,
    ]);
    ogr2ogr(&["-f", "LIBKML", &at("s.kmz"), &source]);
    ogr2ogr(&["-f", "ESRI Shapefile", &at("bare.shp"), &source]);
    let import = |dataset: &str, format: &str| {
        format!("/api/v1/import?dataset={dataset}&format={format}&kind=shelter")
    };
    for (file, format) in [("s.gpkg", "gpkg"), ("s.shp.zip", "shp"), ("s.kmz", "kml")] {
        let bytes = std::fs::read(at(file)).unwrap();
        let (status, answer) = upload(&f.state, &import(file, format), &f.admin, bytes).await;
        assert_eq!(status, StatusCode::OK, "{file}: {answer}");
        assert_eq!(answer["report"]["accepted"], 3, "{file}: {answer}");
        let (_, _, found) = super::writes::send(
            &f.state,
            "GET",
            &format!(
                "/api/v1/facilities?q={}&limit=10",
                urlencode("天安门广场避难场所")
            ),
            None,
            &[],
            None,
        )
        .await;
        assert!(
            found["features"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["properties"]["name"]["zh"] == "天安门广场避难场所"),
            "{file}: the Chinese name is intact: {found}"
        );
    }

    let before = f.state.index.snapshot().len();
    let bare = std::fs::read(at("bare.shp")).unwrap();
    let (status, answer) = upload(&f.state, &import("bare.shp", "shp"), &f.admin, bare).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["error"]["message"].as_str().unwrap().contains("zip"),
        "{answer}"
    );
    let mut broken = b"SQLite format 3\0".to_vec();
    broken.extend([0x5Au8; 2048]);
    let (status, answer) = upload(&f.state, &import("broken.gpkg", "gpkg"), &f.admin, broken).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(f.state.index.snapshot().len(), before, "nothing changed");
}

#[cfg(not(feature = "gdal"))]
#[tokio::test]
async fn without_gdal_its_formats_name_the_build() {
    let f = fixture();
    let (status, answer) = upload(
        &f.state,
        "/api/v1/import?dataset=x.gpkg&format=gpkg",
        &f.admin,
        b"SQLite format 3\0".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--features gdal"),
        "{answer}"
    );
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
