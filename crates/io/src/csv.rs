//! CSV with named longitude/latitude columns in a declared CRS; and CSV export.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use refuge_core::Facility;

use crate::mapping::{ImportOptions, Placement, to_facility};
use crate::report::{ImportReport, Location};
use crate::sink::ImportSink;
use crate::{Error, Import, Result, TextEncoding};

/// Which columns hold the position. Unset columns are found by name: `lon`, `lng`, `longitude`,
/// `x`, or any column whose name starts with `lon`; likewise for latitude.
#[derive(Debug, Clone, Default)]
pub struct CsvColumns {
    /// The longitude column.
    pub lon: Option<String>,
    /// The latitude column.
    pub lat: Option<String>,
}

/// Reads facilities from CSV. A bad row is rejected with its line number and the good rows go on;
/// a file without a header or without the position columns is an error.
pub fn read_csv(input: impl Read, columns: &CsvColumns, options: &ImportOptions) -> Result<Import> {
    let mut import = Import::new(&options.dataset);
    import.report = stream_csv(input, columns, options, &mut import)?;
    Ok(import)
}

/// Reads facilities from CSV like [`read_csv`], row by row, handing each accepted one to `sink`.
pub fn stream_csv(
    input: impl Read,
    columns: &CsvColumns,
    options: &ImportOptions,
    sink: &mut dyn ImportSink,
) -> Result<ImportReport> {
    let dataset = options.dataset.clone();
    let (mut reader, header) = open(input, &dataset, options.encoding)?;
    let lon_at = find_column(
        &header,
        columns.lon.as_deref(),
        &["lon", "lng", "longitude", "x"],
        "lon",
        &dataset,
        "longitude",
    )?;
    let lat_at = find_column(
        &header,
        columns.lat.as_deref(),
        &["lat", "latitude", "y"],
        "lat",
        &dataset,
        "latitude",
    )?;

    let mut report = ImportReport::new(&dataset);
    for (row, result) in (2u64..).zip(reader.byte_records()) {
        report.read_one();
        let at = Location::Line(row);
        let record = match result {
            Ok(record) => record,
            // The input itself failed (a broken upload, a disk error): nothing of it is kept.
            Err(e) if e.is_io_error() => {
                return Err(Error::Csv {
                    dataset,
                    message: format!("reading stopped at line {row}: {e}"),
                });
            }
            Err(e) => {
                report.reject(at, format!("unreadable row: {e}"));
                continue;
            }
        };
        let fields: BTreeMap<String, String> = match header
            .iter()
            .zip(record.iter())
            .map(|(name, bytes)| {
                options
                    .encoding
                    .decode(bytes, name)
                    .map(|text| (name.clone(), text.into_owned()))
            })
            .collect::<Result<_, String>>()
        {
            Ok(fields) => fields,
            Err(reason) => {
                report.reject(at, reason);
                continue;
            }
        };
        let position = || -> Result<_, String> {
            let number = |at: usize| -> Result<f64, String> {
                let name = &header[at];
                let text = fields.get(name).map(String::as_str).unwrap_or("");
                text.parse::<f64>()
                    .map_err(|_| format!("`{name}`: `{text}` is not a number"))
            };
            let (lon, lat) = (number(lon_at)?, number(lat_at)?);
            options.crs.to_wgs84(lon, lat).map_err(|e| e.to_string())
        };
        let location = match position() {
            Ok(location) => location,
            Err(reason) => {
                report.reject(at, reason);
                continue;
            }
        };
        let placement = Placement {
            location,
            footprint: None,
            zone: None,
        };
        match to_facility(&fields, placement, options, &format!("line-{row}")) {
            Ok(facility) => {
                let stated = options.mapping.stated(&fields);
                report.hand_over(at, facility, stated, sink)?;
            }
            Err(reason) => report.reject(at, reason),
        }
    }
    Ok(report)
}

/// A CSV reader (flexible rows, trimmed fields) and its header in `encoding`, without a
/// byte-order mark.
pub(crate) fn open<R: Read>(
    input: R,
    dataset: &str,
    encoding: TextEncoding,
) -> Result<(csv::Reader<R>, Vec<String>)> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let unreadable = |message: String| Error::Csv {
        dataset: dataset.to_owned(),
        message: format!("cannot read the header: {message}"),
    };
    let header = reader
        .byte_headers()
        .map_err(|e| unreadable(e.to_string()))?
        .iter()
        .enumerate()
        .map(|(n, bytes)| {
            let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
            encoding
                .decode(bytes, &format!("header field {}", n + 1))
                .map(|name| name.into_owned())
                .map_err(unreadable)
        })
        .collect::<Result<_>>()?;
    Ok((reader, header))
}

fn find_column(
    header: &[String],
    named: Option<&str>,
    usual: &[&str],
    prefix: &str,
    dataset: &str,
    why: &'static str,
) -> Result<usize> {
    let missing = |column: &str| Error::MissingColumn {
        dataset: dataset.to_owned(),
        column: column.to_owned(),
        why,
        header: header.join(", "),
    };
    if let Some(name) = named {
        return header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| missing(name));
    }
    let lower: Vec<String> = header.iter().map(|h| h.to_lowercase()).collect();
    usual
        .iter()
        .find_map(|u| lower.iter().position(|h| h == u))
        .or_else(|| lower.iter().position(|h| h.starts_with(prefix)))
        .ok_or_else(|| missing(usual.first().copied().unwrap_or(prefix)))
}

/// The exported columns and their HXL hashtags (Humanitarian Exchange Language), for the optional
/// second header row that humanitarian tools read.
pub(crate) const COLUMNS: [(&str, &str); 17] = [
    ("id", "#meta+id"),
    ("kind", "#loc+type"),
    ("name_zh", "#loc+name+i_zh"),
    ("name_en", "#loc+name+i_en"),
    ("lon", "#geo+lon"),
    ("lat", "#geo+lat"),
    ("designation", "#status+designation"),
    ("status", "#status+operational"),
    ("reported_at", "#date+reported"),
    ("tier", "#loc+type+tier"),
    ("capacity", "#capacity+persons"),
    ("occupancy", "#affected+sheltered"),
    ("risk", "#severity"),
    ("community", "#adm3+name"),
    ("source", "#meta+source"),
    ("source_id", "#meta+source+id"),
    ("source_crs", "#meta+crs"),
];

/// Writes facilities as CSV: one row each with id, kind, names, position (WGS84), status and the
/// figures people filter on; with `hxl`, a second header row of HXL hashtags.
pub fn write_csv(facilities: &[Facility], hxl: bool, output: impl Write) -> Result<()> {
    let failed = |e: csv::Error| Error::Write {
        what: "CSV".into(),
        source: match e.into_kind() {
            csv::ErrorKind::Io(io) => io,
            other => std::io::Error::other(format!("{other:?}")),
        },
    };
    let mut writer = csv::Writer::from_writer(output);
    writer
        .write_record(COLUMNS.iter().map(|(name, _)| *name))
        .map_err(failed)?;
    if hxl {
        writer
            .write_record(COLUMNS.iter().map(|(_, tag)| *tag))
            .map_err(failed)?;
    }
    for f in facilities {
        writer.write_record(column_values(f)).map_err(failed)?;
    }
    writer.flush().map_err(|e| Error::Write {
        what: "CSV".into(),
        source: e,
    })
}

/// A facility's values of the exported [`COLUMNS`], as text (empty where it has none).
pub(crate) fn column_values(f: &Facility) -> [String; 17] {
    let shelter = f.shelter();
    let capacity = shelter.and_then(|s| s.capacity()).map(|c| c.to_string());
    let occupancy = shelter.map(|s| s.occupancy.to_string());
    [
        f.id.to_string(),
        f.kind().to_string(),
        f.name.zh.clone().unwrap_or_default(),
        f.name.en.clone().unwrap_or_default(),
        format!("{:.7}", f.location.lon()),
        format!("{:.7}", f.location.lat()),
        f.designation.to_string(),
        f.status.status.to_string(),
        f.status.reported_at.to_rfc3339(),
        f.reserve().map(|d| d.tier.to_string()).unwrap_or_default(),
        capacity.unwrap_or_default(),
        occupancy.unwrap_or_default(),
        f.hazard().map(|h| h.risk.to_string()).unwrap_or_default(),
        f.admin.community.clone().unwrap_or_default(),
        f.source.dataset.clone(),
        f.source.record.clone().unwrap_or_default(),
        f.source.crs.to_string(),
    ]
}
