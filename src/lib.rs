//! leadpost: a self-hosted lead-ingestion service, wire-compatible with the
//! well-known CRM "form post" endpoint. See `README.md`.

pub mod actions;
pub mod admin;
pub mod app;
pub mod attempt;
pub mod cli;
pub mod clients;
pub mod config;
pub mod console;
pub mod delivery;
pub mod demo;
pub mod fields;
pub mod inbound;
pub mod intake;
pub mod limits;
pub mod mask;
pub mod notify;
pub mod openapi;
pub mod pages;
pub mod people;
pub mod server;
pub mod service;
pub mod spam;
pub mod state;
pub mod store;
pub mod telemetry;
