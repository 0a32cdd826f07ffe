//! Importers on the real files under ../shared/data and on broken ones.

use std::path::PathBuf;

use refuge_core::{Crs, FacilityDetails, FacilityKind, GreatCircle, LonLat, PoiKind};
use refuge_io::{
    BaseLayer, CsvColumns, Error, GeoJsonTarget, ImportOptions, Location, TextEncoding, read_csv,
    read_geojson, read_ndjson, read_osm, write_geojson,
};

fn shared(relative: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "SKIPPED: {} is absent; this test needs ../shared/data",
            path.display()
        );
        None
    }
}

fn shelters() -> ImportOptions {
    ImportOptions::new("test", Crs::Wgs84).kind(FacilityKind::Shelter)
}

#[test]
fn every_real_gcj02_shelter_file_imports_with_a_truthful_report() {
    for (city, rows) in [
        ("beijing", 1_181),
        ("shenzhen", 462),
        ("guangzhou", 122),
        ("chengdu", 35),
    ] {
        let Some(path) = shared(&format!("cn/shelters-{city}-gcj02.csv")) else {
            return;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        let mut options = shelters();
        options.crs = Crs::Gcj02;
        let import = read_csv(text.as_bytes(), &CsvColumns::default(), &options).unwrap();
        assert_eq!(import.report.read, rows, "{city}");
        assert_eq!(import.report.accepted, rows, "{city}: {}", import.report);
        // Each position lands within a millimetre of an exact conversion of the file's row.
        let mut unshifted = Vec::new();
        for (line, facility) in text.lines().skip(1).zip(&import.facilities) {
            let fields: Vec<&str> = line.split(',').collect();
            let (lon, lat): (f64, f64) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
            let [back_lon, back_lat] = Crs::Gcj02.from_wgs84(facility.location);
            let error = GreatCircle.distance_m(
                LonLat::new(lon, lat).unwrap(),
                LonLat::new(back_lon, back_lat).unwrap(),
            );
            assert!(error < 0.001, "{city} {line}: {error} m");
            assert_eq!(facility.source.crs, Crs::Gcj02);
            assert_eq!(facility.source.record.as_deref(), Some(fields[0]));
            // GCJ-02 moves mainland positions by hundreds of metres.
            let shift = GreatCircle.distance_m(LonLat::new(lon, lat).unwrap(), facility.location);
            if shift == 0.0 {
                unshifted.push(line.to_owned());
            } else {
                assert!((100.0..900.0).contains(&shift), "{city}: shifted {shift} m");
            }
        }
        // Known limitation: the 1:10m outline puts a few Shenzhen shelters hard by the Hong Kong
        // border (Sha Tau Kok, Huanggang) outside the mainland, so they are not shifted.
        eprintln!(
            "{city}: {} rows taken as outside mainland China: {unshifted:?}",
            unshifted.len()
        );
        assert!(
            unshifted.len() * 50 < rows as usize,
            "{city}: {unshifted:?}"
        );
        // Duplicates by position are real in these files and must be flagged, not dropped.
        let mut positions: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|l| l.split_once(',').unwrap().1)
            .collect();
        let distinct = {
            positions.sort();
            positions.dedup();
            positions.len()
        };
        assert_eq!(
            import.report.duplicates.len() as u64,
            rows - distinct as u64,
            "{city}"
        );
    }
}

#[test]
fn district_polygons_import_as_boundaries() {
    for city in ["beijing", "shenzhen", "guangzhou", "chengdu"] {
        let Some(path) = shared(&format!("cn/districts-{city}.geojson")) else {
            return;
        };
        let text = std::fs::read_to_string(path).unwrap();
        let import = read_geojson(
            &text,
            GeoJsonTarget::Base(BaseLayer::Boundaries),
            &ImportOptions::new(city, Crs::Wgs84),
        )
        .unwrap();
        assert!(import.report.read > 5, "{city}");
        assert_eq!(
            import.report.accepted, import.report.read,
            "{}",
            import.report
        );
        assert!(
            import.base.iter().all(|b| b.name_zh.is_some()),
            "district names are Chinese"
        );
    }
    let Some(path) = shared("osm/monaco_boundary.geojson") else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let import = read_geojson(
        &text,
        GeoJsonTarget::Base(BaseLayer::Boundaries),
        &ImportOptions::new("monaco", Crs::Wgs84),
    )
    .unwrap();
    assert_eq!(import.report.accepted, import.report.read);
}

#[test]
fn the_real_monaco_extract_imports() {
    let Some(path) = shared("osm/monaco.osm.pbf") else {
        return;
    };
    let import = read_osm(
        std::fs::File::open(path).unwrap(),
        &ImportOptions::new("monaco", Crs::Wgs84),
    )
    .unwrap();
    let count = |kind: PoiKind| {
        import
            .facilities
            .iter()
            .filter(|f| matches!(&f.details, FacilityDetails::Poi(p) if p.poi_kind == kind))
            .count()
    };
    assert!(count(PoiKind::Hospital) >= 1);
    assert_eq!(
        count(PoiKind::FireStation),
        2,
        "the extract's two fire stations"
    );
    assert!(
        import.base.len() > 3_000,
        "roads and buildings: {}",
        import.base.len()
    );
    assert_eq!(
        import.report.read,
        import.report.accepted + import.report.rejected.len() as u64
    );
    assert!(import.report.rejected.iter().all(|r| !r.reason.is_empty()));
}

#[test]
fn the_geonames_places_import_as_csv() {
    let Some(path) = shared("bench/geonames-cities-135k.csv.gz") else {
        return;
    };
    let file = std::fs::File::open(path).unwrap();
    let import = read_csv(
        flate2::read::GzDecoder::new(file),
        &CsvColumns::default(),
        &shelters(),
    )
    .unwrap();
    assert_eq!(import.report.read, 135_233);
    assert_eq!(
        import.report.accepted + import.report.rejected.len() as u64,
        135_233
    );
    assert!(import.report.accepted > 135_000);
}

#[test]
fn bad_rows_are_rejected_by_line_and_good_rows_go_on() {
    let csv = "id,lon,lat,name,capacity\n\
               a,7.42,43.73,Good,100\n\
               b,7.42,95.0,Too far north,10\n\
               c,NaN,43.73,Not a number,10\n\
               d,7.43,43.74,Bad capacity,lots\n\
               e,abc,43.74,Text,1\n\
               a,7.44,43.75,Same id,5\n";
    let import = read_csv(csv.as_bytes(), &CsvColumns::default(), &shelters()).unwrap();
    assert_eq!((import.report.read, import.report.accepted), (6, 2));
    let reasons: Vec<(Location, &str)> = import
        .report
        .rejected
        .iter()
        .map(|r| (r.at, r.reason.as_str()))
        .collect();
    assert_eq!(reasons[0].0, Location::Line(3));
    assert!(reasons[0].1.contains("latitude 95"), "{reasons:?}");
    assert_eq!(reasons[1].0, Location::Line(4));
    assert!(reasons[1].1.contains("longitude NaN"), "{reasons:?}");
    assert!(
        reasons[2].1.contains("capacity") && reasons[2].1.contains("lots"),
        "{reasons:?}"
    );
    assert!(
        reasons[3].1.contains("`lon`: `abc` is not a number"),
        "{reasons:?}"
    );
    assert_eq!(
        import.report.duplicates.len(),
        1,
        "same source id as line 2"
    );
}

#[test]
fn a_csv_without_position_columns_or_in_another_encoding_says_so() {
    let err = read_csv(
        "id,x_coord,y_coord\n1,2,3\n".as_bytes(),
        &CsvColumns::default(),
        &shelters(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::MissingColumn { column, .. } if column == "lon"),
        "{err}"
    );
    assert!(
        err.to_string().contains("x_coord"),
        "the message lists the header: {err}"
    );
    // "名称" in GBK, not UTF-8.
    let mut gbk = b"id,lon,lat,name\n1,7.42,43.73,".to_vec();
    gbk.extend([0xc3, 0xfb, 0xb3, 0xc6, b'\n']);
    let import = read_csv(gbk.as_slice(), &CsvColumns::default(), &shelters()).unwrap();
    assert_eq!(import.report.accepted, 0);
    assert!(
        import.report.rejected[0].reason.contains("not UTF-8"),
        "{:?}",
        import.report.rejected
    );
}

/// A GBK file: read as UTF-8, each row is refused by line and column and the refusal names GBK;
/// read with its encoding, the Chinese names arrive intact; a UTF-8 file said to be GBK is
/// refused rather than stored as mojibake.
#[test]
fn attribute_encodings_are_decoded_or_refused_never_garbled() {
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(
        "id,lon,lat,名称,备注\n1,116.40,39.91,天安门广场避难场所,一级\n2,116.30,39.95,海淀公园,\n",
    );
    assert!(!unmappable);
    let mapped =
        || shelters().mapping(refuge_io::Mapping::default().with(refuge_io::Field::NameZh, "名称"));
    // As UTF-8: refused, naming the line, the column and the encoding it reads as.
    let import = read_csv(&*gbk, &CsvColumns::default(), &mapped()).unwrap_err();
    assert!(
        import.to_string().contains("GBK"),
        "the header names the encoding: {import}"
    );
    let (gbk_rows, _, _) = encoding_rs::GBK
        .encode("id,lon,lat,name_zh\n1,116.40,39.91,天安门广场避难场所\n2,116.30,39.95,plain\n");
    let import = read_csv(&*gbk_rows, &CsvColumns::default(), &shelters()).unwrap();
    assert_eq!(import.report.accepted, 1, "the ASCII row goes on");
    let refusal = &import.report.rejected[0];
    assert_eq!(refusal.at, Location::Line(2));
    assert!(
        refusal.reason.contains("`name_zh`")
            && refusal.reason.contains("天安门广场避难场所")
            && refusal.reason.contains("--encoding gbk"),
        "{}",
        refusal.reason
    );

    // With its encoding: intact.
    for encoding in [TextEncoding::Gbk, TextEncoding::Gb18030] {
        let import = read_csv(&*gbk, &CsvColumns::default(), &mapped().encoding(encoding)).unwrap();
        assert_eq!(import.report.accepted, 2, "{:?}", import.report.rejected);
        let names: Vec<&str> = import
            .facilities
            .iter()
            .filter_map(|f| f.name.zh.as_deref())
            .collect();
        assert_eq!(names, ["天安门广场避难场所", "海淀公园"]);
    }

    // UTF-8 said to be GBK: refused, never mojibake.
    let utf8 = "id,lon,lat,name_zh\n1,116.40,39.91,天安门广场避难场所\n";
    let import = read_csv(
        utf8.as_bytes(),
        &CsvColumns::default(),
        &shelters().encoding(TextEncoding::Gbk),
    )
    .unwrap();
    assert_eq!(import.report.accepted, 0);
    assert!(
        import.report.rejected[0].reason.contains("reads as UTF-8"),
        "{:?}",
        import.report.rejected
    );
    // Accented Latin text too, whose characters take two bytes: never stored as `Caf茅`.
    let accented = "id,lon,lat,name_en\n1,7.42,43.73,Café de Paris\n";
    let import = read_csv(
        accented.as_bytes(),
        &CsvColumns::default(),
        &shelters().encoding(TextEncoding::Gbk),
    )
    .unwrap();
    assert_eq!(import.report.accepted, 0);
    assert!(
        import.report.rejected[0].reason.contains("Café de Paris"),
        "{:?}",
        import.report.rejected
    );
    assert_eq!(TextEncoding::from_label("936"), Some(TextEncoding::Gbk));
    assert_eq!(TextEncoding::from_label("UTF-8"), Some(TextEncoding::Utf8));
    assert_eq!("utf-8".parse::<TextEncoding>().unwrap(), TextEncoding::Utf8);
}

/// A CSV of positions in a Gauss–Krüger zone imports where the WGS84 positions are, and a row
/// outside the zone is refused by line.
#[test]
fn a_csv_in_a_gauss_kruger_zone_lands_where_its_wgs84_twin_does() {
    let zone: Crs = "EPSG:4527".parse().unwrap();
    let places = [(116.3975, 39.9087), (116.2, 40.1), (117.1, 39.6)];
    let mut csv = String::from("id,x,y\n");
    for (n, (lon, lat)) in places.iter().enumerate() {
        let [x, y] = zone.from_wgs84(LonLat::new(*lon, *lat).unwrap());
        csv.push_str(&format!("{},{x:.4},{y:.4}\n", n + 1));
    }
    csv.push_str("9,40512345.0,4419000.0\n");
    let import = read_csv(
        csv.as_bytes(),
        &CsvColumns::default(),
        &ImportOptions::new("gk", zone).kind(FacilityKind::Shelter),
    )
    .unwrap();
    assert_eq!(import.report.accepted, 3, "{:?}", import.report.rejected);
    for (facility, (lon, lat)) in import.facilities.iter().zip(places) {
        let error = GreatCircle.distance_m(facility.location, LonLat::new(lon, lat).unwrap());
        assert!(error < 0.01, "{error} m");
        assert_eq!(facility.source.crs, zone);
    }
    assert_eq!(import.report.rejected[0].at, Location::Line(5));
    assert!(import.report.rejected[0].reason.contains("zone number 40"));
}

#[test]
fn broken_geojson_says_where() {
    let truncated = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[7.42,"#;
    let err = read_geojson(truncated, GeoJsonTarget::Facilities, &shelters()).unwrap_err();
    assert!(matches!(err, Error::Json { line: 1, .. }), "{err}");
    let not_geojson = r#"{"hello": "world"}"#;
    assert!(
        read_geojson(not_geojson, GeoJsonTarget::Facilities, &shelters())
            .unwrap_err()
            .to_string()
            .contains("no `type`")
    );
    let features = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","geometry":{"type":"Point","coordinates":[7.42,43.73]},"properties":{"name":"ok"}},
        {"type":"Feature","geometry":null,"properties":{"name":"no geometry"}},
        {"type":"Feature","geometry":{"type":"Point","coordinates":[700,43.73]},"properties":{}},
        {"type":"Feature","geometry":{"type":"Point","coordinates":[7.42,43.73]},"properties":{"kind":"castle"}}
    ]}"#;
    let import = read_geojson(features, GeoJsonTarget::Facilities, &shelters()).unwrap();
    assert_eq!(import.report.accepted, 1);
    let reasons: Vec<String> = import
        .report
        .rejected
        .iter()
        .map(|r| format!("{}: {}", r.at, r.reason))
        .collect();
    assert_eq!(reasons.len(), 3);
    assert!(
        reasons[0].starts_with("feature 2") && reasons[0].contains("no geometry"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].starts_with("feature 3") && reasons[1].contains("longitude 700"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].contains("castle") && reasons[2].contains("shelter, reserve"),
        "{reasons:?}"
    );
}

#[test]
fn ndjson_reads_line_by_line() {
    let text = "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[7.42,43.73]},\"properties\":{\"name_zh\":\"公园\"}}\n\
                \n\
                {not json}\n\
                {\"type\":\"Feature\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[7.42,43.73],[7.43,43.73],[7.43,43.74],[7.42,43.73]]]},\"properties\":{\"effective_area_m2\":900}}\n";
    let import = read_ndjson(text, GeoJsonTarget::Facilities, &shelters()).unwrap();
    assert_eq!((import.report.read, import.report.accepted), (3, 2));
    assert_eq!(import.report.rejected[0].at, Location::Line(3));
    assert_eq!(import.facilities[0].name.zh.as_deref(), Some("公园"));
    assert!(
        import.facilities[1].footprint.is_some(),
        "a polygon keeps its outline"
    );
}

#[test]
fn an_export_reads_back_to_the_same_facilities() {
    let city = refuge_io::demo::demo_city().unwrap();
    let mut bytes = Vec::new();
    write_geojson(&city.facilities, Crs::Wgs84, &mut bytes).unwrap();
    let back = read_geojson(
        std::str::from_utf8(&bytes).unwrap(),
        GeoJsonTarget::Facilities,
        &ImportOptions::new("x", Crs::Wgs84),
    )
    .unwrap();
    assert!(back.report.rejected.is_empty(), "{}", back.report);
    assert_eq!(back.facilities, city.facilities);
}

/// A depot's `parent` names another record of the file by its id (or `refuge:ID`): the chain is
/// stored, and one that skips a tier, loops or points at a micro-storage site is reported.
#[test]
fn resupply_chains_are_imported_and_their_faults_reported() {
    let csv = "\
id,kind,name,lon,lat,tier,parent
D1,reserve,District depot,7.41,43.73,district,
S1,reserve,East sub-district depot,7.42,43.74,subdistrict,D1
C1,reserve,Harbour community depot,7.43,43.74,community,S1
C2,reserve,Hill community depot,7.44,43.75,community,D1
M1,micro_storage,Harbour store,7.43,43.741,,C1
M2,micro_storage,Odd store,7.43,43.742,,M1
L1,reserve,Loop A,7.45,43.75,community,L2
L2,reserve,Loop B,7.45,43.76,subdistrict,L1
X1,reserve,Far depot,7.46,43.76,community,refuge:12345
";
    let spec = refuge_io::ImportSpec {
        format: refuge_io::InputFormat::Csv,
        options: refuge_io::ImportOptions::new("chains.csv", refuge_core::Crs::Wgs84),
        columns: refuge_io::CsvColumns::default(),
        layer: None,
        source_layer: None,
    };
    let mut import = refuge_io::Import::new("chains.csv");
    let report = spec.run(csv.as_bytes(), &mut import).unwrap();
    assert_eq!(report.accepted, 9, "{report}");
    let id = |record: &str| refuge_io::stable_id("chains.csv", record);
    let by_record = |record: &str| {
        import
            .facilities
            .iter()
            .find(|f| f.source.record.as_deref() == Some(record))
            .unwrap()
    };
    assert_eq!(by_record("C1").reserve().unwrap().parent, Some(id("S1")));
    match &by_record("M1").details {
        refuge_core::FacilityDetails::MicroStorage(site) => {
            assert_eq!(site.parent_depot, Some(id("C1")));
        }
        other => panic!("{other:?}"),
    }
    let problems = report.chain.join("\n");
    assert!(problems.contains("community depot `C2`: its parent `D1` is a district depot; the chain goes to a subdistrict depot next"), "{problems}");
    assert!(
        problems.contains("micro-storage site `M2`: its parent `M1` is a micro-storage site"),
        "{problems}"
    );
    assert!(
        problems.contains("`L1`: its chain of parents loops"),
        "{problems}"
    );
    assert!(
        problems.contains("`X1`: its parent 12345 is not in this input"),
        "{problems}"
    );
    assert!(
        !problems.contains("`C1`") && !problems.contains("`S1`") && !problems.contains("`M1`:"),
        "{problems}"
    );
    assert!(report.to_string().contains("resupply chain:"));
}

/// A long chain (each community depot naming the one before it) is checked in one pass: 20,000
/// records report 19,999 tier faults and no loop. (Walking every chain from every record, as the
/// first version did, took hours on this file.)
#[test]
fn a_long_chain_is_checked_in_one_pass() {
    let mut csv = String::from("id,kind,name,lon,lat,tier,parent\n");
    for n in 0..20_000 {
        let parent = if n == 0 {
            String::new()
        } else {
            format!("R{}", n - 1)
        };
        csv.push_str(&format!(
            "R{n},reserve,Depot {n},{},{},community,{parent}\n",
            7.0 + f64::from(n) * 1e-5,
            43.7
        ));
    }
    let spec = refuge_io::ImportSpec {
        format: refuge_io::InputFormat::Csv,
        options: refuge_io::ImportOptions::new("long.csv", refuge_core::Crs::Wgs84),
        columns: refuge_io::CsvColumns::default(),
        layer: None,
        source_layer: None,
    };
    let report = spec
        .run(csv.as_bytes(), &mut refuge_io::Import::new("long.csv"))
        .unwrap();
    // Every link but the first names a community depot where a sub-district one belongs.
    assert_eq!(report.chain.len(), 19_999);
    assert!(report.chain.iter().all(|p| !p.contains("loops")));
}
