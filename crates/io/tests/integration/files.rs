//! Importers on real and broken files.
