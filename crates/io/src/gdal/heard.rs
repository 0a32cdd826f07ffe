//! What GDAL says while Refuge reads: its warnings and errors go into the report of the import
//! reading on that thread, counted once per message, instead of one line on standard error per
//! feature (a 2 GB file of broken rows printed 26 million). Elsewhere they go to standard error as
//! GDAL prints them.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Once;

use gdal::errors::CplErrType;

/// Distinct messages kept in one report; the others are counted.
const KEPT: usize = 20;

thread_local! {
    /// The messages GDAL gave on this thread since [`Listening::start`], with how often.
    static HEARD: RefCell<Option<BTreeMap<String, u64>>> = const { RefCell::new(None) };
}

/// GDAL's messages, kept for an import on this thread while it lives.
pub(crate) struct Listening;

impl Listening {
    /// Starts keeping what GDAL says on this thread.
    pub(crate) fn start() -> Self {
        static HANDLER: Once = Once::new();
        HANDLER.call_once(|| gdal::config::set_error_handler(heard));
        HEARD.with(|heard| *heard.borrow_mut() = Some(BTreeMap::new()));
        Listening
    }

    /// What GDAL said, as report notes: each message once, with how often.
    pub(crate) fn notes(self) -> Vec<String> {
        let heard = HEARD
            .with(|heard| heard.borrow_mut().take())
            .unwrap_or_default();
        let mut notes: Vec<String> = heard
            .iter()
            .take(KEPT)
            .map(|(message, &times)| match times {
                1 => format!("GDAL said: {message}"),
                n => format!("GDAL said {n} times: {message}"),
            })
            .collect();
        if heard.len() > KEPT {
            notes.push(format!("GDAL said {} other things", heard.len() - KEPT));
        }
        notes
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        HEARD.with(|heard| *heard.borrow_mut() = None);
    }
}

fn heard(class: CplErrType, number: i32, message: &str) {
    let kind = match class {
        CplErrType::Warning => "warning",
        CplErrType::Failure | CplErrType::Fatal => "error",
        CplErrType::None | CplErrType::Debug => return,
    };
    // Asking a feature without a geometry for its geometry: the reader reports the feature as
    // having none.
    if number == 10 && message.contains("'hGeometry' is NULL") {
        return;
    }
    let kept = HEARD.with(|heard| match heard.borrow_mut().as_mut() {
        Some(heard) => {
            let line = format!("{kind} {number}: {}", message.trim());
            *heard.entry(line).or_insert(0) += 1;
            true
        }
        None => false,
    });
    if !kept {
        eprintln!("GDAL {kind} {number}: {}", message.trim());
    }
}
