//! Fuzz the intake parser and field validation: any body, read as urlencoded
//! and as JSON, then checked in the contract's order. Nothing may panic.
#![no_main]

use leadpost::intake::body::{PostedPairs, parse_json, parse_urlencoded};
use leadpost::intake::form::Form;
use libfuzzer_sys::fuzz_target;

fn check(posted: &PostedPairs) {
    let form = Form::new(posted);
    let _ = form.error_url();
    let _ = form.web_key();
    let _ = form.fingerprint();
    if let Some(name) = form.name() {
        let _ = form.lead(name);
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(posted) = parse_urlencoded(data) {
        check(&posted);
    }
    if let Ok(posted) = parse_json(data) {
        check(&posted);
    }
});
