//! The command line of the fake service: [`FakeServerArgs`] (a `clap::Args` struct that the
//! `avepoint-fake` binary uses and the `avepoint` CLI mounts as `avepoint fake-server`) and
//! [`run`].

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::dataset::Dataset;
use crate::faults::{EndpointFaults, Fault, FaultConfig, RandomFaults, RetryAfter, ScriptedFault};
use crate::paging::{PagingFault, ScriptedPagingFault};
use crate::rate_limit::RateLimit;
use crate::server::{DEFAULT_PORT, FakeConfig, FakeServer};
use crate::{FakeError, demo};

/// Which endpoints the fault flags apply to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FaultTargets {
    /// The user-seats API only.
    #[default]
    Api,
    /// The token endpoint only.
    Token,
    /// Both endpoints.
    Both,
}

/// Options of the fake AvePoint service.
#[derive(Clone, Debug, PartialEq, clap::Args)]
pub struct FakeServerArgs {
    /// TCP port to listen on (0 picks a free one).
    #[arg(long, default_value_t = DEFAULT_PORT, env = "AVEPOINT_FAKE_PORT")]
    pub port: u16,

    /// Address to listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST), env = "AVEPOINT_FAKE_BIND")]
    pub bind: IpAddr,

    /// Serve N generated customers instead of the six demo customers.
    #[arg(long, value_name = "N")]
    pub customers: Option<u64>,

    /// Seed of the generated customers (with --customers).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Serve the customers as of revision N: each revision after 0 changes some customers'
    /// seats (assigned, released, bought) and adds or removes a tenant, deterministically,
    /// so that runs against two revisions differ (e.g. for `avepoint history diff`).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub revision: u64,

    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    pub token_lifetime: u64,

    /// Endpoints the fault flags below apply to.
    #[arg(long, value_enum, default_value_t = FaultTargets::Api)]
    pub fault_target: FaultTargets,

    /// Delay added to every request, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,

    /// Probability (0.0 to 1.0) that a request fails with 429 or 503 (random, seeded by
    /// --fault-seed).
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub fault_rate: Option<f64>,

    /// Seed of --fault-rate.
    #[arg(long, default_value_t = 1)]
    pub fault_seed: u64,

    /// Rate-limit the API routes per client id: a token bucket of BURST requests (default:
    /// one second's worth) refilled at RPS per second; an empty bucket answers 429 with
    /// Retry-After in whole seconds, rounded up.
    #[arg(long, value_name = "RPS[:BURST]")]
    pub rate_limit: Option<RateLimit>,

    /// Answer every N-th request with 429 Too Many Requests.
    #[arg(long, value_name = "N")]
    pub rate_limit_every: Option<NonZeroU32>,

    /// The first N requests get 429 Too Many Requests.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub rate_limit_first: u32,

    /// Then the next N requests get 503 Service Unavailable.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub unavailable_first: u32,

    /// Then the next N requests get 500 Internal Server Error.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub error_first: u32,

    /// Then the next N requests get 200 with truncated JSON.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub malformed_first: u32,

    /// Then the next N requests have their connection closed without a response.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub drop_first: u32,

    /// The first N successful page responses of the paginated routes (customers listing,
    /// `tenants/batch`) serve the previous page again.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub repeat_page_first: u32,

    /// Close the first N TCP connections right after accept, before any request is read
    /// (applies to both endpoints).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub refuse_connections: u64,

    /// Retry-After of 429 and 503 responses, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 1)]
    pub retry_after: u64,

    /// Send Retry-After as an HTTP date instead of seconds.
    #[arg(long)]
    pub retry_after_date: bool,

    /// Write the demo certificate, key and .pfx files into DIR.
    #[arg(long, value_name = "DIR")]
    pub write_fixtures: Option<PathBuf>,
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(format!("`{s}` is not a probability between 0.0 and 1.0")),
    }
}

impl Default for FakeServerArgs {
    fn default() -> Self {
        Self {
            port: DEFAULT_PORT,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            customers: None,
            seed: 1,
            revision: 0,
            token_lifetime: 3600,
            fault_target: FaultTargets::Api,
            latency_ms: 0,
            fault_rate: None,
            fault_seed: 1,
            rate_limit: None,
            rate_limit_every: None,
            rate_limit_first: 0,
            unavailable_first: 0,
            error_first: 0,
            malformed_first: 0,
            drop_first: 0,
            repeat_page_first: 0,
            refuse_connections: 0,
            retry_after: 1,
            retry_after_date: false,
            write_fixtures: None,
        }
    }
}

impl FakeServerArgs {
    /// The address to listen on.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.bind, self.port)
    }

    /// The server configuration these options describe.
    pub fn to_config(&self) -> Result<FakeConfig, FakeError> {
        if let Some(rate) = self.fault_rate {
            parse_rate(&rate.to_string()).map_err(FakeError::InvalidConfig)?;
        }
        let retry_after = if self.retry_after_date {
            RetryAfter::HttpDate(Duration::from_secs(self.retry_after))
        } else {
            RetryAfter::Seconds(self.retry_after)
        };
        let script = [
            (
                Fault::TooManyRequests {
                    retry_after: Some(retry_after),
                },
                self.rate_limit_first,
            ),
            (
                Fault::ServiceUnavailable {
                    retry_after: Some(retry_after),
                },
                self.unavailable_first,
            ),
            (Fault::InternalServerError, self.error_first),
            (Fault::MalformedJson, self.malformed_first),
            (Fault::DropConnection, self.drop_first),
        ]
        .into_iter()
        .filter(|(_, times)| *times > 0)
        .map(|(fault, times)| ScriptedFault { fault, times })
        .collect();
        let endpoint = EndpointFaults {
            script,
            latency: Duration::from_millis(self.latency_ms),
            rate_limit_every: self.rate_limit_every,
            random: self.fault_rate.map(|rate| RandomFaults {
                rate,
                seed: self.fault_seed,
                kinds: vec![
                    Fault::TooManyRequests {
                        retry_after: Some(retry_after),
                    },
                    Fault::ServiceUnavailable {
                        retry_after: Some(retry_after),
                    },
                ],
            }),
        };
        let (token, api) = match self.fault_target {
            FaultTargets::Api => (EndpointFaults::default(), endpoint),
            FaultTargets::Token => (endpoint, EndpointFaults::default()),
            FaultTargets::Both => (endpoint.clone(), endpoint),
        };
        let dataset = match self.customers {
            Some(n) => Dataset::generated(n, self.seed),
            None => Dataset::demo().with_sparse_customers(),
        }
        .with_revision(self.revision);
        Ok(FakeConfig {
            dataset: Arc::new(dataset),
            token_lifetime: Duration::from_secs(self.token_lifetime),
            faults: FaultConfig {
                token,
                api,
                retry_after,
                refuse_connections: self.refuse_connections,
                rate_limit: self.rate_limit,
                paging: if self.repeat_page_first > 0 {
                    vec![ScriptedPagingFault {
                        fault: PagingFault::RepeatPreviousPage,
                        times: self.repeat_page_first,
                    }]
                } else {
                    Vec::new()
                },
            },
            ..FakeConfig::default()
        })
    }
}

/// Starts the server `args` describe, prints its URLs and the credentials it accepts to
/// stdout, and serves until Ctrl-C.
pub async fn run(args: FakeServerArgs) -> Result<(), FakeError> {
    let config = args.to_config()?;
    let customers = config.dataset.len();
    let server = FakeServer::start_on(args.addr(), config).await?;
    let fixtures = match &args.write_fixtures {
        Some(dir) => Some(demo::write_fixtures(dir)?),
        None => demo::source_fixtures_dir(),
    };
    let text = banner(&server, customers, fixtures.as_deref());
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    drop(stdout);
    tokio::signal::ctrl_c().await?;
    tracing::info!("stopping");
    server.shutdown().await;
    Ok(())
}

/// The text [`run`] prints at start.
fn banner(server: &FakeServer, customers: u64, fixtures: Option<&Path>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Fake AvePoint Graph API service (test credentials only)");
    let _ = writeln!(s, "  base URL:   {}", server.base_url());
    let _ = writeln!(s, "  token URL:  {}", server.token_url());
    let _ = writeln!(s, "  customers:  {customers}");
    let revision = server.control().dataset().revision();
    if revision > 0 {
        let _ = writeln!(
            s,
            "  revision:   {revision} (seats changed since revision 0)"
        );
    }
    let _ = writeln!(s, "Credentials it accepts:");
    let _ = writeln!(
        s,
        "  client secret:   client id `{}`, secret `{}`",
        demo::CLIENT_ID,
        demo::CLIENT_SECRET
    );
    let _ = writeln!(
        s,
        "  certificate:     client id `{}`, certificate password `{}`",
        demo::CERT_CLIENT_ID,
        demo::PFX_PASSWORD
    );
    match fixtures {
        Some(dir) => {
            for name in demo::FIXTURE_FILES {
                let _ = writeln!(s, "                   {}", dir.join(name).display());
            }
        }
        None => {
            let _ = writeln!(
                s,
                "                   (write the certificate files with --write-fixtures DIR)"
            );
        }
    }
    let _ = writeln!(
        s,
        "  without license: client id `{}`, secret `{}`",
        demo::LIMITED_CLIENT_ID,
        demo::CLIENT_SECRET
    );
    let _ = writeln!(s, "Press Ctrl-C to stop.");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: FakeServerArgs,
    }

    #[test]
    fn defaults_match_default_impl() {
        let cli = Cli::try_parse_from(["x"]).map(|c| c.args);
        assert_eq!(cli.ok(), Some(FakeServerArgs::default()));
    }

    #[test]
    fn fault_flags_build_the_script() {
        let args = Cli::try_parse_from([
            "x",
            "--rate-limit-first",
            "2",
            "--drop-first",
            "1",
            "--retry-after",
            "3",
            "--fault-target",
            "both",
            "--customers",
            "100",
        ])
        .map(|c| c.args)
        .ok();
        let config = args.as_ref().map(FakeServerArgs::to_config);
        let Some(Ok(config)) = config else {
            panic!("flags rejected");
        };
        assert_eq!(config.dataset.len(), 100);
        assert_eq!(config.faults.api.script.len(), 2);
        assert_eq!(config.faults.api.script[0].fault, Fault::rate_limited(3));
        assert_eq!(config.faults.token, config.faults.api);
        assert!(Cli::try_parse_from(["x", "--fault-rate", "1.5"]).is_err());
        let limited = Cli::try_parse_from(["x", "--rate-limit", "200:20"])
            .ok()
            .and_then(|c| c.args.to_config().ok())
            .and_then(|c| c.faults.rate_limit);
        assert_eq!(
            limited,
            Some(RateLimit {
                rps: 200.0,
                burst: 20
            })
        );
        assert!(Cli::try_parse_from(["x", "--rate-limit", "0"]).is_err());
    }
}
