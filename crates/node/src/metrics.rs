//! Counters for `GET /metrics`, rendered in the Prometheus text exposition format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use pacific_store::StoreStats;

#[derive(Default)]
pub struct Metrics {
    /// Requests by (route template, status code).
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    /// Time to answer, by route template.
    durations: Mutex<BTreeMap<String, Histogram>>,
    objects_ingested: AtomicU64,
    /// Objects per second of the most recent ingest job, as f64 bits.
    last_ingest_rate: AtomicU64,
    /// Connections open now.
    connections_open: AtomicU64,
    /// Connections closed as soon as accepted: over `server.max_connections`, over
    /// `server.max_connections_per_address`.
    refused_over_total: AtomicU64,
    refused_over_address: AtomicU64,
    /// Connections dropped for not finishing their TLS handshake or a request's headers in time.
    connections_timed_out: AtomicU64,
}

/// Upper bounds (seconds) of the request duration histogram's buckets.
const DURATION_BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A Prometheus histogram of durations: counts per bucket (not cumulative here), the count
/// and the sum.
#[derive(Default)]
struct Histogram {
    buckets: [u64; DURATION_BUCKETS.len()],
    count: u64,
    sum_secs: f64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        if let Some(i) = DURATION_BUCKETS.iter().position(|b| secs <= *b) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum_secs += secs;
    }
}

/// Why a connection was closed as soon as it was accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionRefusal {
    /// `server.max_connections` were open.
    Total,
    /// `server.max_connections_per_address` were open from the client's address.
    PerAddress,
}

impl Metrics {
    /// Counts a request answered, and how long it took to answer (to its response head).
    pub fn record_request(&self, route: &str, status: u16, took: Duration) {
        *self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry((route.to_owned(), status))
            .or_default() += 1;
        self.durations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(route.to_owned())
            .or_default()
            .observe(took.as_secs_f64());
    }

    /// Records a finished ingest job (a TAXII POST or a CLI ingest).
    pub fn record_ingest(&self, objects: u64, took: Duration) {
        self.objects_ingested.fetch_add(objects, Ordering::Relaxed);
        let rate = if took.is_zero() {
            0.0
        } else {
            objects as f64 / took.as_secs_f64()
        };
        self.last_ingest_rate
            .store(rate.to_bits(), Ordering::Relaxed);
    }

    pub fn connection_opened(&self) {
        self.connections_open.fetch_add(1, Ordering::Relaxed);
    }

    pub fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn connection_refused(&self, why: ConnectionRefusal) {
        match why {
            ConnectionRefusal::Total => &self.refused_over_total,
            ConnectionRefusal::PerAddress => &self.refused_over_address,
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    pub fn connection_timed_out(&self) {
        self.connections_timed_out.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self, stats: &StoreStats) -> String {
        let mut out = String::new();
        out.push_str("# HELP pacific_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE pacific_http_requests_total counter\n");
        for ((route, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
        {
            let route = route.replace('\\', "\\\\").replace('"', "\\\"");
            let _ = writeln!(
                out,
                "pacific_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP pacific_http_request_duration_seconds Time to answer a request (to the response head), by route.\n");
        out.push_str("# TYPE pacific_http_request_duration_seconds histogram\n");
        for (route, h) in self
            .durations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
        {
            let route = route.replace('\\', "\\\\").replace('"', "\\\"");
            let mut cumulative = 0;
            for (bound, n) in DURATION_BUCKETS.iter().zip(h.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "pacific_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "pacific_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\n\
                 pacific_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\n\
                 pacific_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count, h.sum_secs, h.count
            );
        }
        let gauges = [
            (
                "pacific_objects_stored",
                "Object versions in the store.",
                "gauge",
                stats.object_versions as f64,
            ),
            (
                "pacific_store_size_bytes",
                "Size of the database on disk.",
                "gauge",
                stats.size_bytes as f64,
            ),
            (
                "pacific_objects_ingested_total",
                "Objects stored by ingest since start.",
                "counter",
                self.objects_ingested.load(Ordering::Relaxed) as f64,
            ),
            (
                "pacific_ingest_rate_objects_per_second",
                "Rate of the most recent ingest job.",
                "gauge",
                f64::from_bits(self.last_ingest_rate.load(Ordering::Relaxed)),
            ),
            (
                "pacific_connections_open",
                "Client connections open now.",
                "gauge",
                self.connections_open.load(Ordering::Relaxed) as f64,
            ),
            (
                "pacific_connections_timed_out_total",
                "Connections dropped for a TLS handshake or request headers not sent in time.",
                "counter",
                self.connections_timed_out.load(Ordering::Relaxed) as f64,
            ),
        ];
        for (name, help, kind, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        out.push_str("# HELP pacific_connections_refused_total Connections closed as soon as accepted, by the cap they met.\n");
        out.push_str("# TYPE pacific_connections_refused_total counter\n");
        for (cap, n) in [
            ("total", &self.refused_over_total),
            ("per-address", &self.refused_over_address),
        ] {
            let _ = writeln!(
                out,
                "pacific_connections_refused_total{{cap=\"{cap}\"}} {}",
                n.load(Ordering::Relaxed)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.record_request("/taxii2/", 200, Duration::from_millis(3));
        m.record_request("/taxii2/", 200, Duration::from_millis(30));
        m.record_request("/taxii2/", 401, Duration::from_secs(60));
        m.record_ingest(500, Duration::from_millis(250));
        let text = m.render(&StoreStats {
            object_versions: 7,
            size_bytes: 4096,
        });
        assert!(
            text.contains("pacific_http_requests_total{route=\"/taxii2/\",status=\"200\"} 2\n")
        );
        assert!(
            text.contains("pacific_http_requests_total{route=\"/taxii2/\",status=\"401\"} 1\n")
        );
        assert!(text.contains("pacific_objects_stored 7\n"));
        // Cumulative buckets: 3 ms in le=0.005 and up, 30 ms from le=0.05, 60 s only in +Inf.
        let bucket = |le: &str| {
            format!(
                "pacific_http_request_duration_seconds_bucket{{route=\"/taxii2/\",le=\"{le}\"}} "
            )
        };
        for (le, n) in [
            ("0.001", 0),
            ("0.005", 1),
            ("0.025", 1),
            ("0.05", 2),
            ("10", 2),
            ("+Inf", 3),
        ] {
            assert!(
                text.contains(&format!("{}{n}\n", bucket(le))),
                "le={le}: {text}"
            );
        }
        assert!(
            text.contains("pacific_http_request_duration_seconds_count{route=\"/taxii2/\"} 3\n")
        );
        assert!(
            text.contains("pacific_http_request_duration_seconds_sum{route=\"/taxii2/\"} 60.033")
        );
        assert!(text.contains("pacific_objects_ingested_total 500\n"));
        assert!(text.contains("pacific_ingest_rate_objects_per_second 2000\n"));
    }
}
