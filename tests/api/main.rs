//! Integration tests: the real service on a loopback port, over a real SQLite
//! file and the machine's real PostgreSQL (a fresh schema per test).

mod helpers;

mod admin_api;
mod admin_automation;
mod admin_reading;
mod admin_store;
mod bad_input;
mod browser;
mod browser_console;
mod browser_support;
mod browser_visitor;
mod cli;
mod cli_people;
mod connections;
mod delivery;
mod delivery_acculynx;
mod delivery_processes;
mod hardening;
mod inbound_admin;
mod inbound_email;
mod inbound_smtp;
mod inbound_vendor;
mod intake_answers;
mod intake_rules;
mod job_store;
mod notify;
mod openapi_doc;
mod operations;
mod pages;
mod people_access;
mod people_input;
mod people_redis;
mod people_sessions;
mod receiver;
mod smtp_listener;
mod spam;
mod spam_gates;
mod spam_redis;
mod spam_release;
mod speed;
mod store_conformance;
mod store_inbound;
mod store_people;
mod store_spam;
