//! Gauges read when the metrics are scraped, not kept up to date on the
//! request path: plugins loaded, instances in use, open sessions and
//! connections.

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntGaugeVec, Opts};

/// What a probe reads: one value per set of label values.
type Read = Box<dyn Fn() -> Vec<(Vec<String>, i64)> + Send + Sync>;

/// A gauge whose values are read by a function at each scrape.
pub struct Probe {
    gauge: IntGaugeVec,
    read: Read,
}

impl Probe {
    /// A gauge `name` (explained by `help`) without labels, whose value
    /// `read` gives.
    pub fn value(
        name: &str,
        help: &str,
        read: impl Fn() -> i64 + Send + Sync + 'static,
    ) -> prometheus::Result<Self> {
        Self::labelled(name, help, &[], move || vec![(Vec::new(), read())])
    }

    /// A gauge `name` with `labels`, whose series `read` gives: each set of
    /// label values with its value. Series `read` no longer gives are
    /// dropped.
    pub fn labelled(
        name: &str,
        help: &str,
        labels: &[&str],
        read: impl Fn() -> Vec<(Vec<String>, i64)> + Send + Sync + 'static,
    ) -> prometheus::Result<Self> {
        Ok(Self {
            gauge: IntGaugeVec::new(Opts::new(name, help), labels)?,
            read: Box::new(read),
        })
    }
}

impl Collector for Probe {
    fn desc(&self) -> Vec<&Desc> {
        self.gauge.desc()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        self.gauge.reset();
        for (labels, value) in (self.read)() {
            let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
            self.gauge.with_label_values(&labels).set(value);
        }
        self.gauge.collect()
    }
}
