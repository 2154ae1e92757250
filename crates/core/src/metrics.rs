//! Prometheus metrics: request counts and latencies per route, and how often the
//! code-display path is served from memory. Labels never carry personal data:
//! routes are the matched templates, not the raw paths.

use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteOnly {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FormatLabel {
    format: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabel {
    job: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobOutcome {
    job: String,
    outcome: String,
}

/// The service's metrics and the registry that renders them.
pub struct Metrics {
    registry: Mutex<Registry>,
    requests: Family<RouteLabels, Counter>,
    latency: Family<RouteOnly, Histogram>,
    pub(crate) codes_issued: Counter,
    pub(crate) codes_reused: Counter,
    certificates_issued: Family<FormatLabel, Counter>,
    job_runs: Family<JobOutcome, Counter>,
    job_rows: Family<JobLabel, Counter>,
    job_duration: Family<JobLabel, Histogram>,
    job_last_run: Family<JobLabel, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every metric of the service, all at zero.
    pub fn new() -> Metrics {
        let requests = Family::<RouteLabels, Counter>::default();
        let latency = Family::<RouteOnly, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0001, 2.0, 16))
        });
        let codes_issued = Counter::default();
        let codes_reused = Counter::default();
        let certificates_issued = Family::<FormatLabel, Counter>::default();
        let job_runs = Family::<JobOutcome, Counter>::default();
        let job_rows = Family::<JobLabel, Counter>::default();
        let job_duration = Family::<JobLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 4.0, 10))
        });
        let job_last_run = Family::<JobLabel, Gauge>::default();
        let mut registry = Registry::with_prefix("healthcode");
        registry.register(
            "job_runs",
            "Runs of the periodic jobs, by job and outcome (ok or failed)",
            job_runs.clone(),
        );
        registry.register(
            "job_rows",
            "Rows the periodic jobs touched (deleted, recomputed, created), by job",
            job_rows.clone(),
        );
        registry.register(
            "job_duration_seconds",
            "How long a periodic job's run took, by job",
            job_duration.clone(),
        );
        registry.register(
            "job_last_run_timestamp_seconds",
            "When each periodic job last ran (Unix seconds of the service's clock)",
            job_last_run.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        registry.register("codes_issued", "Health codes signed", codes_issued.clone());
        registry.register(
            "codes_reused",
            "Health codes served again from memory within code_reuse",
            codes_reused.clone(),
        );
        registry.register(
            "certificates_issued",
            "International certificates issued (EU DCC, SMART Health Cards) by format",
            certificates_issued.clone(),
        );
        Metrics {
            certificates_issued,
            job_runs,
            job_rows,
            job_duration,
            job_last_run,
            registry: Mutex::new(registry),
            requests,
            latency,
            codes_issued,
            codes_reused,
        }
    }

    /// Counts and logs an issuance of international certificates. There is no
    /// access audit log in this service, so this is the record: the format and
    /// how many, never who or what they say.
    pub fn note_certificates(&self, format: &str, count: usize) {
        self.certificates_issued
            .get_or_create(&FormatLabel {
                format: format.to_owned(),
            })
            .inc_by(u64::try_from(count).unwrap_or(u64::MAX));
        tracing::info!(format, count, "issued international certificates");
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let registry = match self.registry.lock() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        if encode(&mut out, &registry).is_err() {
            out.clear();
        }
        out
    }
}

impl Metrics {
    /// Records one run of a periodic job.
    pub fn observe_job(&self, job: &str, ok: bool, rows: u64, seconds: f64, at: i64) {
        let label = JobLabel {
            job: job.to_owned(),
        };
        self.job_runs
            .get_or_create(&JobOutcome {
                job: job.to_owned(),
                outcome: if ok { "ok" } else { "failed" }.to_owned(),
            })
            .inc();
        self.job_rows.get_or_create(&label).inc_by(rows);
        self.job_duration.get_or_create(&label).observe(seconds);
        self.job_last_run.get_or_create(&label).set(at);
    }

    /// Records one answered HTTP request: its method, matched route template
    /// (never the raw path) and status, and how long it took.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.latency
            .get_or_create(&RouteOnly {
                route: route.to_owned(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
    }
}
