//! `avepoint customers`: the partner's customers, every page of the customers listing,
//! written as the pages arrive (json, csv) or as an aligned table.
//!
//! `jobStatus` and `managementMode` are written as the wire integers (json, csv) next to a
//! readable label (`jobStatusLabel`, `managementModeLabel`; the table shows only the
//! label); a code this version does not know is labelled `unknown (<code>)`.

use std::io::{self, BufWriter, Write};

use avepoint_graph::Customer;
use futures::StreamExt as _;
use serde::Serialize;

use crate::cli::{CustomersArgs, OutputFormat};
use crate::connect;
use crate::demo::Demo;
use crate::diag::diag;
use crate::exit::{Fatal, Status};
use crate::render::{CsvRecords, JsonArray, Table, cell, count};
use crate::sdk_error::Described;
use crate::shutdown;

/// The `csv` columns, in order.
pub(crate) const CSV_COLUMNS: [&str; 11] = [
    "id",
    "organization",
    "ownerEmail",
    "jobStatus",
    "jobStatusLabel",
    "countryOrRegion",
    "managementMode",
    "managementModeLabel",
    "tenantCount",
    "tenantIds",
    "tenantNames",
];

/// The separator of the tenant lists of a `csv` row.
const LIST_SEPARATOR: &str = ";";

/// Runs `avepoint customers`.
pub(crate) async fn run(args: CustomersArgs) -> Result<Status, Fatal> {
    let demo = if args.demo {
        Some(Demo::start().await?)
    } else {
        None
    };
    let client = connect::client(demo.as_ref(), &args.connection)?;
    connect::authenticate_customers(&client).await?;
    let stdout = BufWriter::new(io::stdout());
    let mut sink = sink(args.output, stdout);
    let mut customers = client.customers().stream();
    let mut status = Status::Success;
    let mut listed = 0u64;
    let written = async {
        sink.begin()?;
        // Ctrl-C or SIGTERM stops the listing; what was listed is written, JSON closed.
        let stop = shutdown::requested();
        tokio::pin!(stop);
        let mut watch_stop = true;
        loop {
            tokio::select! {
                biased;
                signal = &mut stop, if watch_stop => {
                    if let Some(signal) = signal {
                        diag!("error: {} after {listed} customer(s); the output holds those", signal.describe());
                        status = signal.status();
                        break;
                    }
                    watch_stop = false;
                }
                next = customers.next() => match next {
                    Some(Ok(customer)) => {
                        listed += 1;
                        sink.customer(&customer)?;
                    }
                    Some(Err(e)) => {
                        status = Status::of_listing_error(&e, listed);
                        if listed == 0 {
                            diag!("error: could not list the customers: {}", Described(&e));
                        } else {
                            diag!(
                                "error: the customers listing failed after {listed} customer(s): {}; the output holds those",
                                Described(&e)
                            );
                        }
                        break;
                    }
                    None => break,
                },
            }
        }
        sink.finish()
    }
    .await;
    drop(demo);
    match written {
        Ok(()) => {
            tracing::info!(customers = listed, "done");
            Ok(status)
        }
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(status),
        Err(e) => Err(Fatal::output(&e)),
    }
}

/// Where the customers go.
pub(crate) trait CustomerSink {
    /// Called once before any customer.
    fn begin(&mut self) -> io::Result<()>;
    /// One customer, in listing order.
    fn customer(&mut self, customer: &Customer) -> io::Result<()>;
    /// Called once at the end (also after a failure).
    fn finish(&mut self) -> io::Result<()>;
}

/// The writer of `format` over `out`.
pub(crate) fn sink<W: Write + 'static>(format: OutputFormat, out: W) -> Box<dyn CustomerSink> {
    match format {
        OutputFormat::Table => Box::new(TableWriter {
            out,
            rows: Vec::new(),
        }),
        OutputFormat::Json => Box::new(JsonArray::new(out)),
        OutputFormat::Csv => Box::new(CsvRecords::new(out)),
    }
}

/// A customer as `json` writes it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CustomerJson<'a> {
    id: &'a str,
    organization: Option<&'a str>,
    owner_email: Option<&'a str>,
    job_status: i32,
    job_status_label: String,
    country_or_region: Option<&'a str>,
    management_mode: i32,
    management_mode_label: String,
    tenants: &'a [avepoint_graph::CustomerTenant],
}

impl<'a> From<&'a Customer> for CustomerJson<'a> {
    fn from(c: &'a Customer) -> Self {
        Self {
            id: &c.id,
            organization: c.organization.as_deref(),
            owner_email: c.owner_email.as_deref(),
            job_status: c.job_status.code(),
            job_status_label: c.job_status.to_string(),
            country_or_region: c.country_or_region.as_deref(),
            management_mode: c.management_mode.code(),
            management_mode_label: c.management_mode.to_string(),
            tenants: &c.tenants,
        }
    }
}

impl<W: Write> CustomerSink for JsonArray<W> {
    fn begin(&mut self) -> io::Result<()> {
        JsonArray::begin(self)
    }

    fn customer(&mut self, customer: &Customer) -> io::Result<()> {
        self.item(&CustomerJson::from(customer))?;
        self.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        JsonArray::finish(self)
    }
}

impl<W: Write> CustomerSink for CsvRecords<W> {
    fn begin(&mut self) -> io::Result<()> {
        self.record(CSV_COLUMNS)?;
        self.flush()
    }

    fn customer(&mut self, c: &Customer) -> io::Result<()> {
        let join = |f: fn(&avepoint_graph::CustomerTenant) -> &str| {
            c.tenants
                .iter()
                .map(f)
                .collect::<Vec<_>>()
                .join(LIST_SEPARATOR)
        };
        self.record([
            c.id.clone(),
            c.organization.clone().unwrap_or_default(),
            c.owner_email.clone().unwrap_or_default(),
            c.job_status.code().to_string(),
            c.job_status.to_string(),
            c.country_or_region.clone().unwrap_or_default(),
            c.management_mode.code().to_string(),
            c.management_mode.to_string(),
            c.tenants.len().to_string(),
            join(|t| &t.id),
            join(|t| &t.name),
        ])?;
        self.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.flush()
    }
}

/// Aligned columns for people, with a count at the end; buffers every customer.
struct TableWriter<W: Write> {
    out: W,
    rows: Vec<Vec<String>>,
}

impl<W: Write> CustomerSink for TableWriter<W> {
    fn begin(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn customer(&mut self, c: &Customer) -> io::Result<()> {
        let text = |v: &Option<String>| v.as_deref().map_or_else(|| "-".to_owned(), cell);
        self.rows.push(vec![
            cell(&c.id),
            text(&c.organization),
            text(&c.owner_email),
            text(&c.country_or_region),
            c.job_status.to_string(),
            c.management_mode.to_string(),
            c.tenants.len().to_string(),
        ]);
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let mut table = Table::new(
            &[
                "ID",
                "ORGANIZATION",
                "OWNER",
                "COUNTRY",
                "JOB STATUS",
                "MANAGEMENT",
                "TENANTS",
            ],
            &[false, false, false, false, false, false, true],
        );
        let tenants: u64 = self
            .rows
            .iter()
            .filter_map(|r| r.last()?.parse::<u64>().ok())
            .sum();
        let customers = self.rows.len() as u64;
        for row in self.rows.drain(..) {
            table.push(row);
        }
        table.push(vec![
            "TOTAL".to_owned(),
            count(customers, "customer"),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            tenants.to_string(),
        ]);
        table.write_to(&mut self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tests::Shared;
    use avepoint_graph::{CustomerTenant, JobStatus, ManagementMode};

    fn customers() -> Vec<Customer> {
        let mut contoso = Customer::new("c1", JobStatus::Working, ManagementMode::PartnerManaged);
        contoso.organization = Some("Contoso; \"Ltd\"".into());
        contoso.owner_email = Some("admin@contoso.com".into());
        contoso.country_or_region = Some("US".into());
        contoso.tenants = vec![
            CustomerTenant::new("t1", "contoso.onmicrosoft.com"),
            CustomerTenant::new("t2", "contoso.my.salesforce.com"),
        ];
        let unnamed = Customer::new("c2", JobStatus::Unknown(9), ManagementMode::ToBeConfigured);
        vec![contoso, unnamed]
    }

    fn write(format: OutputFormat) -> String {
        let out = Shared::default();
        let mut sink = sink(format, out.clone());
        sink.begin().expect("begin");
        for c in customers() {
            sink.customer(&c).expect("customer");
        }
        sink.finish().expect("finish");
        out.text()
    }

    #[test]
    fn json_has_codes_and_labels() {
        let value: serde_json::Value =
            serde_json::from_str(&write(OutputFormat::Json)).expect("json");
        assert_eq!(
            value[0],
            serde_json::json!({
                "id": "c1",
                "organization": "Contoso; \"Ltd\"",
                "ownerEmail": "admin@contoso.com",
                "jobStatus": 1,
                "jobStatusLabel": "Working",
                "countryOrRegion": "US",
                "managementMode": 1,
                "managementModeLabel": "Partner-managed",
                "tenants": [
                    {"id": "t1", "name": "contoso.onmicrosoft.com"},
                    {"id": "t2", "name": "contoso.my.salesforce.com"}
                ]
            })
        );
        assert!(value[1]["organization"].is_null());
        assert_eq!(value[1]["jobStatus"], 9);
        assert_eq!(value[1]["jobStatusLabel"], "unknown (9)");
        assert_eq!(value[1]["tenants"], serde_json::json!([]));
    }

    #[test]
    fn csv_joins_the_tenants() {
        let text = write(OutputFormat::Csv);
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .expect("headers")
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(headers, CSV_COLUMNS);
        let records: Vec<csv::StringRecord> =
            reader.records().collect::<Result<_, _>>().expect("records");
        assert_eq!(
            records[0].iter().collect::<Vec<_>>(),
            [
                "c1",
                "Contoso; \"Ltd\"",
                "admin@contoso.com",
                "1",
                "Working",
                "US",
                "1",
                "Partner-managed",
                "2",
                "t1;t2",
                "contoso.onmicrosoft.com;contoso.my.salesforce.com"
            ]
        );
        assert_eq!(&records[1][8], "0");
        assert_eq!(&records[1][9], "");
    }

    #[test]
    fn table_counts() {
        let text = write(OutputFormat::Table);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].starts_with("ID  "));
        assert!(lines[2].contains("unknown (9)") && lines[2].contains("To be configured"));
        assert!(
            lines[3].starts_with("TOTAL") && lines[3].ends_with(" 2"),
            "{text}"
        );
        assert!(lines[3].contains("2 customers"));
    }
}
