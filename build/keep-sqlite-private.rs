//! Keeps the SQLite that `rusqlite` builds in to itself. The linker would otherwise export its
//! `sqlite3_*` functions from the binary to the shared libraries GDAL brings (libsqlite3 under
//! GDAL's GeoPackage driver and SpatiaLite), which would then call into the wrong SQLite and
//! crash. Built without GDAL, the option changes nothing. The build script of every package whose
//! binaries or tests link both (refuge-cli, refuge-server).

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg=-Wl,--exclude-libs,ALL");
    }
}
