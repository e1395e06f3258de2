//! leadpost: a self-hosted lead-ingestion service, wire-compatible with the
//! well-known CRM "form post" endpoint. See `README.md` and `DESIGN.md`.

pub mod fields;
