//! The fields of a call's outcome event. Alone in its test binary: `tracing` caches whether
//! a callsite is enabled process-wide, so a second subscriber in another test's thread (as in
//! `redaction.rs`) could hide events from this one.

mod common;

use avepoint_graph::TenantType;
use common::{Captured, Harness};
use wiremock::ResponseTemplate;

/// A filter that enables the call's span (and so the events inside it) but no event outside
/// it still gets the call's real duration in its outcome event: the clock is read when the
/// span is recorded, not only when a `warn` event outside it would be.
#[tokio::test]
async fn the_outcome_event_times_the_call_under_a_span_filter() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("[avepoint.call]=info"))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let h = Harness::start(3600).await;
    h.seats_respond(
        ResponseTemplate::new(200)
            .set_body_json(common::sample_body())
            .set_delay(std::time::Duration::from_millis(60)),
        None,
        1,
    )
    .await;
    h.client()
        .tenant_user_seats("c-1", TenantType::Microsoft365)
        .send()
        .await
        .expect("seats");

    let logs = captured.text();
    let line = logs
        .lines()
        .find(|l| l.contains("call succeeded"))
        .unwrap_or_else(|| panic!("no outcome event: {logs}"));
    let elapsed_ms: u64 = line
        .split("elapsed_ms=")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or_else(|| panic!("no elapsed_ms: {line}"));
    assert!(elapsed_ms >= 60, "{line}");
}
