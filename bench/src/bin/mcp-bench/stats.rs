//! Percentiles and rates from recorded round trips.

use std::time::Duration;

/// Round trips recorded for one server in one workload, across all its
/// batches.
pub struct Samples {
    /// Each round trip's latency.
    pub latencies: Vec<Duration>,
    /// The time spent in the batches, from each batch's first request to its
    /// last answer.
    pub busy: Duration,
    /// The CPU time the server used during the batches, user and system;
    /// `None` once a batch's could not be read.
    pub cpu: Option<Duration>,
}

impl Default for Samples {
    fn default() -> Self {
        Self {
            latencies: Vec::new(),
            busy: Duration::ZERO,
            cpu: Some(Duration::ZERO),
        }
    }
}

/// The least CPU time over all batches that is divided into a per-call
/// figure: 10 clock ticks of `/proc/PID/stat`, so that the figure is within
/// about 10 % (below it, the per-call CPU is reported as unknown).
pub const MEASURABLE_CPU: Duration = Duration::from_millis(100);

/// What is reported of [`Samples`].
#[derive(Clone, Copy)]
pub struct Summary {
    /// The median latency.
    pub median: Duration,
    /// The 99th percentile latency.
    pub p99: Duration,
    /// Round trips per second of busy time.
    pub per_second: f64,
    /// The server's CPU time per round trip, if known and the batches used
    /// at least [`MEASURABLE_CPU`].
    pub cpu_per_call: Option<Duration>,
}

impl Samples {
    /// Adds one batch's CPU time, `None` if it could not be read.
    pub fn add_cpu(&mut self, batch: Option<Duration>) {
        self.cpu = self.cpu.zip(batch).map(|(sum, batch)| sum + batch);
    }

    /// The median, the 99th percentile, the rate and the CPU per call.
    pub fn summary(&self) -> Summary {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        Summary {
            median: percentile(&sorted, 50.0),
            p99: percentile(&sorted, 99.0),
            per_second: sorted.len() as f64 / self.busy.as_secs_f64().max(f64::MIN_POSITIVE),
            cpu_per_call: self
                .cpu
                .filter(|&cpu| cpu >= MEASURABLE_CPU)
                .zip(u32::try_from(sorted.len()).ok().filter(|&n| n > 0))
                .map(|(cpu, calls)| cpu / calls),
        }
    }
}

/// The `p`th percentile of `sorted` by the nearest-rank method: the
/// smallest value that at least `p` % of the values do not exceed.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The median of `values` (the lower middle one for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
        .get((sorted.len().max(1) - 1) / 2)
        .copied()
        .unwrap_or(0.0)
}

/// `items` rotated left by `round`, so that each round starts with another.
pub fn rotated<T: Copy>(items: &[T], round: usize) -> Vec<T> {
    let mut items = items.to_vec();
    if !items.is_empty() {
        let len = items.len();
        items.rotate_left(round % len);
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&values, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&values, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&values[..1], 99.0), Duration::from_millis(1));
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(rotated(&[1, 2, 3], 4), vec![2, 3, 1]);
    }

    #[test]
    fn cpu_per_call_over_all_batches() {
        let mut samples = Samples {
            latencies: vec![Duration::from_micros(100); 400],
            ..Samples::default()
        };
        samples.add_cpu(Some(Duration::from_millis(30)));
        assert_eq!(samples.summary().cpu_per_call, None, "3 clock ticks");
        samples.add_cpu(Some(Duration::from_millis(90)));
        assert_eq!(
            samples.summary().cpu_per_call,
            Some(Duration::from_micros(300))
        );
        samples.add_cpu(None);
        assert_eq!(samples.summary().cpu_per_call, None);
        assert_eq!(Samples::default().summary().cpu_per_call, None);
    }
}
