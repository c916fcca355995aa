//! The connection of a run: one client for everything (of the built-in demo service with
//! `--demo`), and its tokens fetched up front, one per scope set the run needs, so bad
//! credentials or a missing permission fail once, before any output.

use avepoint_graph::Client;

use crate::cli::ConnectionArgs;
use crate::config;
use crate::demo::Demo;
use crate::exit::Fatal;

/// The client of the run: the demo service's when `demo` runs, else the one the connection
/// settings describe.
pub(crate) fn client(demo: Option<&Demo>, connection: &ConnectionArgs) -> Result<Client, Fatal> {
    match demo {
        Some(demo) => demo.client(connection),
        None => config::build_client(connection, &config::process_env),
    }
}

/// Fetches the token of the seats calls (scope `elements.license.read.all` by default).
pub(crate) async fn authenticate_seats(client: &Client) -> Result<(), Fatal> {
    client
        .authenticate()
        .await
        .map_err(|e| Fatal::authentication(&e))?;
    tracing::info!("authenticated for the seats calls");
    Ok(())
}

/// Fetches the token of the customers listing (scope `elements.customers.read.all` by
/// default).
pub(crate) async fn authenticate_customers(client: &Client) -> Result<(), Fatal> {
    client.authenticate_customers().await.map_err(|e| {
        let mut fatal = Fatal::authentication(&e);
        fatal.message = format!("the customers listing: {}", fatal.message);
        fatal
    })?;
    tracing::info!("authenticated for the customers listing");
    Ok(())
}
