//! The human-readable report of a [`Report`].

use std::fmt::Write as _;

use crate::suite::Report;

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.digits$}"))
}

/// Renders every figure of `report` as aligned text tables.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let s = &report.settings;
    let _ = writeln!(
        out,
        "avepoint-bench: SDK vs bare reqwest vs Python requests"
    );
    let _ = writeln!(out, "machine: {}", report.machine.describe());
    let _ = writeln!(
        out,
        "mode: {}; {} interleaved round(s), client order rotated each round; python: {}",
        if s.quick { "quick" } else { "full" },
        s.rounds,
        s.python
    );
    let _ = writeln!(
        out,
        "ratios: sdk/x = the SDK's figure divided by client x's (latency: < 1 is faster; calls/s: > 1 is faster)\ntokens, conns: most token requests / TCP connections the fake saw in one run; retries: seats requests beyond the calls, all runs"
    );

    let _ = writeln!(
        out,
        "\n(a) sequential latency, concurrency 1: {} timed calls per run (+{} warm-up), all rounds pooled",
        s.latency_calls, s.latency_warmup
    );
    let _ = writeln!(
        out,
        "{:<8} {:>8} {:>11} {:>11} {:>10} {:>13} {:>14} {:>7} {:>6} {:>8}",
        "client",
        "samples",
        "median µs",
        "p99 µs",
        "calls/s",
        "sdk/x median",
        "sdk/x calls/s",
        "tokens",
        "conns",
        "retries"
    );
    for r in &report.latency {
        let _ = writeln!(
            out,
            "{:<8} {:>8} {:>11.1} {:>11.1} {:>10.0} {:>13} {:>14} {:>7} {:>6} {:>8}",
            r.client,
            r.samples,
            r.median_us,
            r.p99_us,
            r.calls_per_sec,
            opt(r.sdk_median_ratio, 3),
            opt(r.sdk_throughput_ratio, 3),
            r.token_requests_max,
            r.connections_max,
            r.extra_api_requests
        );
    }

    let _ = writeln!(
        out,
        "\n(b) throughput: {} calls per run (python: {}) over {} customers; median (min..max) of the rounds",
        s.throughput_calls, s.python_throughput_calls, s.workload_customers
    );
    let _ = writeln!(
        out,
        "{:<8} {:>5} {:>10} {:>21} {:>14} {:>7} {:>6} {:>8}",
        "client", "conc", "calls/s", "(min..max)", "sdk/x calls/s", "tokens", "conns", "retries"
    );
    for r in &report.throughput {
        let _ = writeln!(
            out,
            "{:<8} {:>5} {:>10.0} {:>21} {:>14} {:>7} {:>6} {:>8}",
            r.client,
            r.concurrency,
            r.calls_per_sec,
            format!("({:.0}..{:.0})", r.calls_per_sec_min, r.calls_per_sec_max),
            opt(r.sdk_ratio, 3),
            r.token_requests_max,
            r.connections_max,
            r.extra_api_requests
        );
    }

    if report.scale.is_empty() {
        let _ = writeln!(out, "\n(c) CLI fan-out: skipped");
    } else {
        let _ = writeln!(
            out,
            "\n(c) CLI fan-out: avepoint seats --customers-file <N ids> --tenant-type m365 --output json --concurrency {} > /dev/null",
            s.cli_concurrency
        );
        let _ = writeln!(
            out,
            "{:>9} {:>8} {:>10} {:>14} {:>7} {:>6} {:>6} {:>8}",
            "customers", "wall s", "calls/s", "peak RSS MiB", "tokens", "conns", "exit", "correct"
        );
        for r in &report.scale {
            let _ = writeln!(
                out,
                "{:>9} {:>8.2} {:>10.0} {:>14} {:>7} {:>6} {:>6} {:>8}",
                r.customers,
                r.wall_s,
                r.calls_per_sec,
                opt(r.peak_rss_mib, 1),
                r.token_requests,
                r.connections,
                r.exit_code
                    .map_or_else(|| "signal".to_owned(), |c| c.to_string()),
                if r.correct { "yes" } else { "NO" }
            );
        }
    }

    if let Some(limits) = &report.limits {
        crate::limits::render(limits, &mut out);
    }
    if !report.record.is_empty() {
        let _ = writeln!(
            out,
            "\n(d) CLI fan-out with --record (a fresh history database per run), interleaved with (c)"
        );
        let _ = writeln!(
            out,
            "{:>9} {:>6} {:>22} {:>22} {:>7} {:>10} {:>10} {:>7}",
            "customers",
            "rounds",
            "wall s (min..max)",
            "--record (min..max)",
            "ratio",
            "RSS MiB",
            "--record",
            "db MiB"
        );
        for r in &report.record {
            let _ = writeln!(
                out,
                "{:>9} {:>6} {:>22} {:>22} {:>7.3} {:>10} {:>10} {:>7}",
                r.customers,
                r.rounds,
                format!(
                    "{:.2} ({:.2}..{:.2})",
                    r.plain_wall_s, r.plain_wall_min_s, r.plain_wall_max_s
                ),
                format!(
                    "{:.2} ({:.2}..{:.2})",
                    r.record_wall_s, r.record_wall_min_s, r.record_wall_max_s
                ),
                r.ratio,
                opt(r.plain_peak_rss_mib, 1),
                opt(r.record_peak_rss_mib, 1),
                opt(r.db_mib, 1),
            );
        }
    }

    let _ = writeln!(out, "\ntargets:");
    for t in &report.targets {
        let mark = match t.met {
            Some(true) => "met   ",
            Some(false) => "MISSED",
            None => "n/a   ",
        };
        let _ = writeln!(out, "  [{mark}] {}: {}", t.target, t.value);
    }

    let _ = writeln!(
        out,
        "\ncorrectness: {} run(s), {} failed call(s), {} wrong answer(s){}",
        report.runs.len() + report.scale.len() + report.scale_record.len(),
        report.errors,
        report.mismatches,
        if report.correct() {
            ": every client got every answer right"
        } else {
            ""
        }
    );
    for p in &report.problems {
        let _ = writeln!(out, "  problem: {p}");
    }
    out
}
