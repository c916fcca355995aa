//! `--demo`: the fake AvePoint service (`avepoint_fake`) started in this process on a
//! loopback port, with its demo dataset and demo credentials; the client talks to it over
//! real HTTP exactly as it would to AvePoint.

use avepoint_fake::{FakeConfig, FakeServer, demo};
use avepoint_graph::{Client, Credentials};

use crate::cli::ConnectionArgs;
use crate::config;
use crate::exit::{Fatal, Status};

/// A running demo service.
pub(crate) struct Demo {
    server: FakeServer,
}

impl Demo {
    /// Starts the fake service with the demo dataset and says so on stderr.
    pub(crate) async fn start() -> Result<Self, Fatal> {
        let server = FakeServer::start(FakeConfig::demo())
            .await
            .map_err(|e| Fatal {
                status: Status::SomeFailed,
                message: format!("could not start the demo service: {e}"),
            })?;
        crate::diag::diag!(
            "note: demo mode: querying a built-in fake AvePoint service at {} with demo data and demo credentials (nothing leaves this machine)",
            server.base_url()
        );
        Ok(Self { server })
    }

    /// A client of the demo service, authenticating with the demo client secret, with the
    /// call settings of `connection` (`--max-attempts`, `--rate-limit`); its URLs and
    /// credentials are the demo service's.
    pub(crate) fn client(&self, connection: &ConnectionArgs) -> Result<Client, Fatal> {
        config::with_call_settings(Client::builder(), connection)
            .api_base_url(self.server.base_url())
            .token_url(self.server.token_url())
            .credentials(Credentials::client_secret(
                demo::CLIENT_ID,
                demo::CLIENT_SECRET,
            ))
            .build()
            .map_err(|e| Fatal::config(&e))
    }

    /// Every customer ID of the demo dataset, in dataset order.
    pub(crate) fn customer_ids(&self) -> Vec<String> {
        self.server.control().dataset().customer_ids().collect()
    }
}
