//! `leadpost demo`: create (once) the demo account and lead source, and print
//! their keys, a curl command and the demo page address.

use std::sync::Arc;

use super::serve::browsable_base;
use crate::config::Settings;
use crate::demo;
use crate::store::Store;

/// Set up the demo and say how to use it.
pub async fn run(store: Arc<dyn Store>, settings: &Settings) -> anyhow::Result<()> {
    let made = demo::ensure(&store).await?;
    let base = settings
        .server
        .public_url()
        .map_or_else(|| browsable_base(&settings.server.bind), str::to_string);
    if made.created {
        println!("Created the demo account (id {}).", made.account_id);
    } else {
        println!("The demo account exists (id {}).", made.account_id);
    }
    println!("{}", demo::instructions(&base));
    println!("Serve it with: leadpost serve --demo");
    Ok(())
}
