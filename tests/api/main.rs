//! Integration tests: the real service on a loopback port, over a real SQLite
//! file and the machine's real PostgreSQL (a fresh schema per test).

mod helpers;

mod bad_input;
mod browser;
mod cli;
mod delivery;
mod delivery_processes;
mod intake_answers;
mod intake_rules;
mod job_store;
mod notify;
mod operations;
mod pages;
mod receiver;
mod store_conformance;
