//! Integration tests: the real service on a loopback port, over a real SQLite
//! file and the machine's real PostgreSQL (a fresh schema per test).

mod helpers;

mod admin_api;
mod admin_reading;
mod admin_store;
mod bad_input;
mod cli;
mod intake_answers;
mod intake_rules;
mod openapi_doc;
mod store_conformance;
