//! leadpost: a self-hosted lead-ingestion service, wire-compatible with the
//! well-known CRM "form post" endpoint. See `README.md` and `DESIGN.md`.

pub mod actions;
pub mod admin;
pub mod app;
pub mod cli;
pub mod clients;
pub mod config;
pub mod delivery;
pub mod demo;
pub mod fields;
pub mod intake;
pub mod limits;
pub mod mask;
pub mod notify;
pub mod openapi;
pub mod pages;
pub mod server;
pub mod store;
pub mod telemetry;
