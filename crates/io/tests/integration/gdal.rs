//! The formats GDAL reads, made from one small WGS84 source by GDAL's own `ogr2ogr` (from
//! `gdal-bin`): each imports through the one field mapping with the usual report, Chinese names
//! intact and positions where the source has them; projected layers come back through their SRS;
//! a GBK Shapefile is read by its `.cpg`, and without one is refused rather than garbled; a
//! source of several layers needs `--source-layer`; broken sources are errors, never panics.
//! Exports are read back by `ogrinfo`. Without the `gdal` feature, these formats say which build
//! reads them.

#![cfg_attr(not(feature = "gdal"), allow(dead_code, unused_imports))]

use std::path::{Path, PathBuf};

use refuge_core::{Crs, FacilityKind, GreatCircle, LonLat};
use refuge_io::{CsvColumns, Error, Import, ImportOptions, ImportSpec, InputFormat, TextEncoding};

/// The source: four shelters in Beijing with Chinese names (one plain ASCII), WGS84.
const SHELTERS: [(&str, &str, f64, f64, u32); 4] = [
    ("1", "天安门广场避难场所", 116.397_5, 39.908_7, 3000),
    ("2", "海淀公园应急避难场所", 116.293_1, 39.992_4, 1200),
    ("3", "朝阳公园", 116.478_6, 39.939_5, 8000),
    ("4", "Olympic Green", 116.391_2, 40.000_1, 20000),
];

fn source(dir: &Path) -> PathBuf {
    let features: Vec<serde_json::Value> = SHELTERS
        .iter()
        .map(|(id, name, lon, lat, capacity)| {
            serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"source_id": id, "name_zh": name, "capacity": capacity, "status": "open"},
            })
        })
        .collect();
    let path = dir.join("source.geojson");
    let collection = serde_json::json!({"type": "FeatureCollection", "features": features});
    std::fs::write(&path, collection.to_string()).unwrap();
    path
}

/// Runs `ogr2ogr` with `args`; it must succeed.
fn ogr2ogr(args: &[&str]) {
    let output = std::process::Command::new("ogr2ogr")
        .args(args)
        .output()
        .expect("ogr2ogr runs (apt-get install gdal-bin)");
    assert!(
        output.status.success(),
        "ogr2ogr {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn spec(format: InputFormat, options: ImportOptions, source_layer: Option<&str>) -> ImportSpec {
    ImportSpec {
        format,
        options,
        columns: CsvColumns::default(),
        layer: None,
        source_layer: source_layer.map(str::to_owned),
    }
}

fn shelters() -> ImportOptions {
    ImportOptions::new("gdal test", Crs::Wgs84).kind(FacilityKind::Shelter)
}

fn import(path: &Path, spec: &ImportSpec) -> refuge_io::Result<Import> {
    let mut import = Import::new("gdal test");
    import.report = spec.run_file(path, &mut import)?;
    Ok(import)
}

/// Every shelter of the source is there, named as in the source, within `tolerance_m`.
fn assert_as_source(import: &Import, what: &str, tolerance_m: f64) {
    assert_eq!(
        import.report.accepted, 4,
        "{what}: {:?}",
        import.report.rejected
    );
    for (id, name, lon, lat, capacity) in SHELTERS {
        let facility = import
            .facilities
            .iter()
            .find(|f| f.source.record.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("{what}: no shelter {id}"));
        assert_eq!(facility.name.zh.as_deref(), Some(name), "{what}");
        let error = GreatCircle.distance_m(facility.location, LonLat::new(lon, lat).unwrap());
        assert!(error < tolerance_m, "{what}: shelter {id} is {error} m off");
        assert_eq!(
            facility.shelter().and_then(|s| s.capacity()),
            Some(capacity),
            "{what}"
        );
    }
}

#[cfg(feature = "gdal")]
#[test]
fn every_format_gdal_reads_imports_as_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let source = source(dir.path());
    let source = source.to_str().unwrap();
    // (driver, file, options, the format Refuge is told or tells, metres of tolerance)
    type Case<'a> = (&'a str, &'a str, &'a [&'a str], Option<InputFormat>, f64);
    let cases: [Case; 11] = [
        // Without ENCODING, ogr2ogr writes Latin-1 and Chinese names as `?`.
        (
            "ESRI Shapefile",
            "plain.shp",
            &["-lco", "ENCODING=UTF-8"],
            None,
            0.01,
        ),
        (
            "ESRI Shapefile",
            "zone39.shp",
            &["-lco", "ENCODING=UTF-8", "-t_srs", "EPSG:4527"],
            None,
            0.01,
        ),
        ("GPKG", "plain.gpkg", &[], None, 0.01),
        ("GPKG", "zone39.gpkg", &["-t_srs", "EPSG:4527"], None, 0.01),
        ("KML", "plain.kml", &[], None, 0.01),
        ("LIBKML", "plain.kmz", &[], None, 0.01),
        (
            "FlatGeobuf",
            "cm117.fgb",
            &["-t_srs", "EPSG:4548"],
            None,
            0.01,
        ),
        ("GML", "xian.gml", &["-t_srs", "EPSG:2364"], None, 0.01),
        // MapInfo stores coordinates as integers over the layer's bounds.
        ("MapInfo File", "plain.tab", &[], None, 0.5),
        (
            "MapInfo File",
            "zone39.tab",
            &["-t_srs", "EPSG:4527"],
            None,
            0.5,
        ),
        (
            "CSV",
            "wkt.csv",
            &["-lco", "GEOMETRY=AS_WKT"],
            Some(InputFormat::Gdal),
            0.01,
        ),
    ];
    for (driver, file, options, told, tolerance) in cases {
        let path = dir.path().join(file);
        let path_text = path.to_str().unwrap();
        let mut args = vec!["-f", driver, path_text, source];
        args.extend(options);
        ogr2ogr(&args);
        let format = told.unwrap_or_else(|| InputFormat::from_path(&path).unwrap());
        let import = import(&path, &spec(format, shelters(), None))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_as_source(&import, file, tolerance);
        if file.starts_with("xian") {
            assert!(
                import.report.notes.iter().any(|n| n.contains("Xi'an 1980")),
                "{:?}",
                import.report.notes
            );
        }
    }
}

#[cfg(feature = "gdal")]
#[test]
fn a_gbk_shapefile_is_read_by_its_cpg_and_without_one_is_refused_not_garbled() {
    let dir = tempfile::tempdir().unwrap();
    let source = source(dir.path());
    let path = dir.path().join("gbk.shp");
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        "-lco",
        "ENCODING=CP936",
        "-t_srs",
        "EPSG:4527",
        path.to_str().unwrap(),
        source.to_str().unwrap(),
    ]);
    let cpg = path.with_extension("cpg");
    assert!(cpg.exists(), "ogr2ogr writes the .cpg");
    let format = InputFormat::Shapefile;
    assert_as_source(
        &import(&path, &spec(format, shelters(), None)).unwrap(),
        "GBK with .cpg",
        0.01,
    );

    // Without its .cpg: the Chinese rows are refused by feature and column; the ASCII one goes on.
    std::fs::remove_file(&cpg).unwrap();
    let bare = import(&path, &spec(format, shelters(), None)).unwrap();
    assert_eq!(bare.report.accepted, 1, "{:?}", bare.report.rejected);
    assert_eq!(bare.report.rejected.len(), 3);
    for refusal in &bare.report.rejected {
        assert!(
            refusal.reason.contains("`name_zh`") && refusal.reason.contains("--encoding gbk"),
            "{}",
            refusal.reason
        );
    }
    assert!(
        bare.facilities
            .iter()
            .all(|f| f.name.zh.as_deref().is_none_or(str::is_ascii)),
        "nothing stored as mojibake"
    );
    // Told its encoding, it is read whole.
    let told = spec(format, shelters().encoding(TextEncoding::Gbk), None);
    assert_as_source(&import(&path, &told).unwrap(), "GBK told", 0.01);

    // A UTF-8 Shapefile said to be GBK: its Chinese rows are refused, not garbled.
    let utf8 = dir.path().join("utf8.shp");
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        "-lco",
        "ENCODING=UTF-8",
        utf8.to_str().unwrap(),
        source.to_str().unwrap(),
    ]);
    let wrong = import(&utf8, &told).unwrap();
    assert_eq!(wrong.report.accepted, 1, "{:?}", wrong.report.rejected);
    assert!(
        wrong.report.rejected[0].reason.contains("reads as UTF-8"),
        "{}",
        wrong.report.rejected[0].reason
    );
}

#[cfg(feature = "gdal")]
#[test]
fn a_source_of_several_layers_needs_one_named() {
    let dir = tempfile::tempdir().unwrap();
    let source = source(dir.path());
    let path = dir.path().join("two.gpkg");
    let (path_text, source_text) = (path.to_str().unwrap(), source.to_str().unwrap());
    ogr2ogr(&["-f", "GPKG", "-nln", "shelters", path_text, source_text]);
    ogr2ogr(&[
        "-update",
        "-nln",
        "more",
        "-where",
        "capacity > 2000",
        path_text,
        source_text,
    ]);
    let error = import(&path, &spec(InputFormat::GeoPackage, shelters(), None))
        .expect_err("two layers and none named");
    let message = error.to_string();
    assert!(
        message.contains("--source-layer")
            && message.contains("shelters (4 features")
            && message.contains("more (3 features"),
        "{message}"
    );
    let more = import(
        &path,
        &spec(InputFormat::GeoPackage, shelters(), Some("more")),
    )
    .unwrap();
    assert_eq!(more.report.accepted, 3);
    let missing = import(
        &path,
        &spec(InputFormat::GeoPackage, shelters(), Some("depots")),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(missing.contains("no layer `depots`"), "{missing}");
}

#[cfg(feature = "gdal")]
#[test]
fn broken_sources_are_errors_or_per_feature_refusals_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let source = source(dir.path());
    let path = dir.path().join("lost.shp");
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        path.to_str().unwrap(),
        source.to_str().unwrap(),
    ]);
    std::fs::remove_file(path.with_extension("shx")).unwrap();
    let message = import(&path, &spec(InputFormat::Shapefile, shelters(), None))
        .expect_err("no .shx")
        .to_string();
    assert!(message.contains(".shx"), "{message}");

    let dbf = dir.path().join("nodbf.shp");
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        dbf.to_str().unwrap(),
        source.to_str().unwrap(),
    ]);
    std::fs::remove_file(dbf.with_extension("dbf")).unwrap();
    // GDAL reads a Shapefile without its table as geometry alone: no names, no capacities.
    match import(&dbf, &spec(InputFormat::Shapefile, shelters(), None)) {
        Ok(read) => assert!(read.facilities.iter().all(|f| f.name.zh.is_none())),
        Err(error) => assert!(error.to_string().contains("nodbf"), "{error}"),
    }

    let corrupt = dir.path().join("corrupt.gpkg");
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.extend(std::iter::repeat_n(0xA5u8, 4096));
    std::fs::write(&corrupt, bytes).unwrap();
    assert!(matches!(
        import(&corrupt, &spec(InputFormat::GeoPackage, shelters(), None)),
        Err(Error::Gdal { .. })
    ));

    let not_zip = dir.path().join("notzip.kmz");
    std::fs::write(&not_zip, "this is not a zip archive").unwrap();
    assert!(matches!(
        import(&not_zip, &spec(InputFormat::Kml, shelters(), None)),
        Err(Error::Gdal { .. })
    ));

    // A layer without geometry: every feature refused by number, none panics.
    let table = dir.path().join("table.csv");
    std::fs::write(&table, "source_id,name_zh\n1,无位置\n2,也无位置\n").unwrap();
    let read = import(&table, &spec(InputFormat::Gdal, shelters(), None)).unwrap();
    assert_eq!(read.report.accepted, 0);
    assert_eq!(read.report.rejected.len(), 2);
    assert!(read.report.rejected[0].reason.contains("geometry"));
}

#[cfg(feature = "gdal")]
#[test]
fn exports_open_in_ogrinfo_with_their_counts_and_srs() {
    let dir = tempfile::tempdir().unwrap();
    let city = refuge_io::demo::demo_city().unwrap();
    let facilities: Vec<refuge_core::Facility> = city.facilities;
    let count = |kind: FacilityKind| facilities.iter().filter(|f| f.kind() == kind).count();
    let zones_of = |polygonal: bool| {
        facilities
            .iter()
            .filter_map(|f| f.hazard()?.zone.as_ref())
            .filter(|zone| {
                matches!(
                    zone,
                    geo::Geometry::Polygon(_) | geo::Geometry::MultiPolygon(_)
                ) == polygonal
            })
            .count()
    };
    for (format, file) in [
        (refuge_io::ExportFormat::GeoPackage, "city.gpkg"),
        (refuge_io::ExportFormat::Shapefile, "city-shp"),
        (refuge_io::ExportFormat::Kml, "city.kml"),
        (refuge_io::ExportFormat::FlatGeobuf, "city.fgb"),
    ] {
        let path = dir.path().join(file);
        let written = refuge_io::write_gdal(&facilities, format, &path).unwrap();
        let output = std::process::Command::new("ogrinfo")
            .args(["-ro", "-so", "-al", path.to_str().unwrap()])
            .output()
            .unwrap();
        let info = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(output.status.success(), "{file}: {info}");
        let layers: Vec<(String, usize)> = info
            .split("Layer name: ")
            .skip(1)
            .map(|part| {
                let name = part.lines().next().unwrap().trim().to_owned();
                let features = part
                    .lines()
                    .find_map(|l| l.strip_prefix("Feature Count: "))
                    .unwrap()
                    .trim()
                    .parse()
                    .unwrap();
                (name, features)
            })
            .collect();
        let mut expected = written.clone();
        expected.sort();
        let mut found = layers.clone();
        found.sort();
        assert_eq!(found, expected, "{file}");
        if format == refuge_io::ExportFormat::FlatGeobuf {
            assert_eq!(found, [("facilities".to_owned(), facilities.len())]);
        } else {
            let of = |name: &str| found.iter().find(|(n, _)| n == name).map(|(_, c)| *c);
            assert_eq!(of("shelters"), Some(count(FacilityKind::Shelter)), "{file}");
            assert_eq!(of("reserves"), Some(count(FacilityKind::Reserve)), "{file}");
            assert_eq!(of("hazard_zones"), Some(zones_of(true)), "{file}");
            assert_eq!(of("hazard_lines"), Some(zones_of(false)), "{file}");
        }
        assert!(
            info.contains("WGS 84") || info.contains("WGS_1984"),
            "{file}: the SRS is written: {info}"
        );
        if format == refuge_io::ExportFormat::Shapefile {
            assert!(info.contains("designatn: String"), "{info}");
            assert!(!info.contains("designation:"), "{info}");
        }
        // Read back, every shelter has its own names and head counts.
        let (source, layer) = match format {
            refuge_io::ExportFormat::Shapefile => (path.join("shelters.shp"), None),
            refuge_io::ExportFormat::FlatGeobuf => (path.clone(), None),
            _ => (path.clone(), Some("shelters")),
        };
        let back = import(
            &source,
            &spec(InputFormat::from_path(&source).unwrap(), shelters(), layer),
        )
        .unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut compared = 0;
        for original in facilities
            .iter()
            .filter(|f| f.kind() == FacilityKind::Shelter)
        {
            let Some(copy) = back
                .facilities
                .iter()
                .find(|f| f.source.record.as_deref() == Some(original.id.to_string().as_str()))
            else {
                continue;
            };
            assert_eq!(copy.name, original.name, "{file}");
            assert_eq!(copy.status.status, original.status.status, "{file}");
            assert_eq!(
                copy.shelter().and_then(|s| s.capacity()),
                original.shelter().and_then(|s| s.capacity()),
                "{file}"
            );
            assert!(GreatCircle.distance_m(copy.location, original.location) < 0.01);
            compared += 1;
        }
        assert_eq!(
            compared,
            count(FacilityKind::Shelter),
            "{file}: every shelter read back"
        );
    }
}

#[cfg(not(feature = "gdal"))]
#[test]
fn without_the_gdal_feature_its_formats_name_the_build_that_reads_them() {
    for format in [
        InputFormat::Shapefile,
        InputFormat::GeoPackage,
        InputFormat::Kml,
    ] {
        let error = spec(format, shelters(), None)
            .run_file(Path::new("somewhere.shp"), &mut Import::new("x"))
            .err()
            .unwrap();
        assert!(matches!(error, Error::NeedsGdal { .. }));
        assert!(error.to_string().contains("--features gdal"), "{error}");
    }
}

/// A square district.
#[cfg(feature = "gdal")]
fn district(
    name: &str,
    west: f64,
    south: f64,
    east: f64,
    north: f64,
) -> refuge_core::planning::District {
    refuge_core::planning::District {
        name: name.into(),
        code: name.into(),
        area: geo::MultiPolygon(vec![
            geo::Rect::new((west, south), (east, north)).to_polygon(),
        ]),
    }
}

/// A population grid (an ASCII grid made a GeoTIFF by `gdal_translate`): every pixel's people
/// land inside the pixel, spread over its cells, in the district holding them; no-data and zero
/// pixels are skipped, a negative one is refused by column and row; a projected grid lands where
/// its zone puts it.
#[cfg(feature = "gdal")]
#[test]
fn a_population_grid_spreads_each_pixel_over_its_own_ground() {
    let dir = tempfile::tempdir().unwrap();
    let grid = |name: &str, text: &str, srs: &str| {
        let asc = dir.path().join(format!("{name}.asc"));
        std::fs::write(&asc, text).unwrap();
        let tif = dir.path().join(format!("{name}.tif"));
        let output = std::process::Command::new("gdal_translate")
            .args([
                "-q",
                "-a_srs",
                srs,
                asc.to_str().unwrap(),
                tif.to_str().unwrap(),
            ])
            .output()
            .expect("gdal_translate runs (apt-get install gdal-bin)");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        tif
    };
    let degrees = grid(
        "degrees",
        "ncols 4\nnrows 3\nxllcorner 116.30\nyllcorner 39.90\ncellsize 0.01\nNODATA_value -9999\n\
         100 200 -9999 0\n50 -5 300 400\n10 20 30 40\n",
        "EPSG:4326",
    );
    let districts = [
        district("west", 116.30, 39.90, 116.32, 39.93),
        district("east", 116.32, 39.90, 116.34, 39.93),
    ];
    let (layer, report) =
        refuge_io::read_population_raster(&degrees, Crs::Wgs84, &districts, 9).unwrap();
    assert!((layer.total() - 1150.0).abs() < 1e-6, "{}", layer.total());
    assert_eq!(
        (report.read, report.accepted),
        (10, 9),
        "{:?}",
        report.rejected
    );
    assert_eq!(report.rejected.len(), 1);
    assert!(report.rejected[0].contains("column 1, row 1") && report.rejected[0].contains("-5"));
    let by_district: Vec<f64> = layer.districts.iter().map(|d| d.population).collect();
    assert!(
        (by_district[0] - 380.0).abs() < 1e-6 && (by_district[1] - 770.0).abs() < 1e-6,
        "{by_district:?}"
    );
    // Spread over the pixel, not piled on its centre: a pixel of about 1 km² covers about nine
    // cells of 0.1 km².
    assert!(layer.cells.len() > 9 * 5, "{} cells", layer.cells.len());
    // Every cell holds a point of the grid: its centre is within a cell's reach of the grid.
    for cell in &layer.cells {
        let at = refuge_core::planning::cell_centre(cell.cell).unwrap();
        assert!(
            (116.297..=116.343).contains(&at.lon()) && (39.897..=39.933).contains(&at.lat()),
            "{at}"
        );
    }
    // Half a district: the pixels beyond it are reported, with the people lost.
    let half = [district("west", 116.30, 39.90, 116.32, 39.93)];
    let (layer, report) =
        refuge_io::read_population_raster(&degrees, Crs::Wgs84, &half, 9).unwrap();
    assert!((layer.total() - 380.0).abs() < 1e-6);
    assert!(
        report
            .rejected
            .iter()
            .any(|r| r.contains("column 3, row 1") && r.contains("400.0 people outside")),
        "{:?}",
        report.rejected
    );

    // In CGCS2000 zone 39, 1 km pixels: the people land within the grid's ground.
    let zone: Crs = "EPSG:4527".parse().unwrap();
    let metres = grid(
        "zone39",
        "ncols 2\nnrows 2\nxllcorner 39440000\nyllcorner 4417000\ncellsize 1000\n1 2\n3 4\n",
        "EPSG:4527",
    );
    let (layer, report) = refuge_io::read_population_raster(&metres, Crs::Wgs84, &[], 9).unwrap();
    assert!((layer.total() - 10.0).abs() < 1e-9 && report.rejected.is_empty());
    let corner = |x: f64, y: f64| zone.to_wgs84(x, y).unwrap();
    let (south_west, north_east) = (
        corner(39_440_000.0, 4_417_000.0),
        corner(39_442_000.0, 4_419_000.0),
    );
    for cell in &layer.cells {
        let at = refuge_core::planning::cell_centre(cell.cell).unwrap();
        assert!(
            (south_west.lon() - 0.003..=north_east.lon() + 0.003).contains(&at.lon())
                && (south_west.lat() - 0.003..=north_east.lat() + 0.003).contains(&at.lat()),
            "{at} outside {south_west}–{north_east}"
        );
    }
}

/// Features whose geometry GDAL cannot read are refused one by one as having none, in the
/// report; GDAL's own complaint about each is not printed (a 2 GB file of them printed 26 million
/// lines), and what GDAL does say is counted in the report's notes.
#[cfg(feature = "gdal")]
#[test]
fn features_without_a_geometry_are_refused_in_the_report_not_on_standard_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.csv");
    let mut text = String::from("name,WKT\nValid,\"POINT (116.3975 39.9087)\"\n");
    for n in 0..500 {
        text.push_str(&format!("Broken {n},\"POINT (banana)\"\n"));
    }
    std::fs::write(&path, text).unwrap();
    let import = import(&path, &spec(InputFormat::Gdal, shelters(), None)).unwrap();
    assert_eq!(import.facilities.len(), 1);
    assert_eq!(import.report.rejected_count(), 500);
    assert!(
        import
            .report
            .rejected
            .iter()
            .all(|r| r.reason == "it has no geometry"),
        "{:?}",
        &import.report.rejected[..3]
    );
    assert!(
        !import.report.notes.iter().any(|n| n.contains("hGeometry")),
        "{:?}",
        import.report.notes
    );
}
