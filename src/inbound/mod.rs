//! Leads that arrive by email or from lead vendors: reading a message (raw or as an email
//! provider's inbound webhook posts it), the rules that ignore automatic mail, the owner's parsers
//! that turn a message's text into form fields, Thumbtack's lead JSON, and a receiving SMTP server.
//! Nothing here stores anything: the app wires these to the store and the intake pipeline.

pub mod ignore;
pub mod message;
pub mod parser;
pub mod providers;
pub mod smtp;
pub mod terms;
pub mod thumbtack;

pub use message::{AutomationHeaders, InboundMessage, MessageError};
pub use parser::{Parser, ParserProblem, ParserSpec};

/// `(name, value)` pairs as the extractors return them (for tests).
#[cfg(test)]
pub(crate) fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}
