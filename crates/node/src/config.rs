//! The node's configuration: `pacific.toml` in the data directory, with environment-variable
//! overrides. Every field has a documented default (see `pacific.example.toml` at the
//! repository root); unknown fields are an error, so a typo never silently does nothing.

use std::net::SocketAddr;
use std::path::Path;

use pacific_core::party::StakeholderType;
use serde::{Deserialize, Serialize};

/// Name of the configuration file inside a data directory.
pub const CONFIG_FILE: &str = "pacific.toml";

/// The default of `federation.max_envelope_objects`; this node's outbox sends fewer.
pub const DEFAULT_MAX_ENVELOPE_OBJECTS: usize = 1000;

/// The largest `server.max_body_bytes_in_flight` (4 GiB - 1: the budget counts in `u32`).
pub const MAX_BODY_BUDGET: usize = u32::MAX as usize;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub party: PartyConfig,
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub tls: TlsConfig,
    #[serde(default)]
    pub log: LogConfig,
    #[serde(default)]
    pub federation: FederationConfig,
    #[serde(default)]
    pub matching: MatchingConfig,
    #[serde(default)]
    pub coop: CoopConfig,
    #[serde(default)]
    pub governance: GovernanceConfig,
}

/// The federation's governance (see `crate::gov`): what this node does with the register.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GovernanceConfig {
    /// Add every member in good standing of the register that is not yet a peer as a peer
    /// (with its key and URL from the register). Off by default: a node may refuse to peer
    /// with a member (sovereignty); the register decides TLP:GREEN's community either way.
    pub peer_with_members: bool,
}

/// Cooperation between authorities (see `crate::coop`): the clock task and the deadlines,
/// hotline timing and dispute time boxes this party drafts its records with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CoopConfig {
    /// How often the clock task looks for expired requests, hotline re-sends and overdue
    /// dispute stages, in milliseconds.
    pub tick_millis: u64,
    /// Response and acknowledgement deadlines per kind and urgency, minimum preservation.
    pub deadlines: pacific_coop::DeadlinePolicy,
    /// Hotline re-send back-off and ping timeout.
    pub hotline: pacific_coop::HotlinePolicy,
    /// Dispute stage time boxes.
    pub disputes: pacific_coop::dispute::DisputePolicy,
    /// Where a match on a critical-infrastructure asset raises its hotline alert (an emergency
    /// incident-assistance request): this party, whatever the indicator's origin. Unset: the
    /// party that shared the indicator, if it came from a peer; none for a local indicator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident_hotline_to: Option<pacific_core::policy::PartyId>,
    /// How often the clock pings the hotline of every party that declared a contact, in
    /// seconds (0: never; `POST /coop/hotline/pings` still pings on demand).
    pub ping_interval_secs: u64,
}

impl Default for CoopConfig {
    fn default() -> Self {
        Self {
            tick_millis: 2000,
            deadlines: Default::default(),
            hotline: Default::default(),
            disputes: Default::default(),
            incident_hotline_to: None,
            ping_interval_secs: 3600,
        }
    }
}

/// Matching events against the node's indicators (`crate::matching`, issue 6).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MatchingConfig {
    /// The TLP level of the sightings and incidents this node records (`clear`, `green`,
    /// `amber`, `amber+strict`, `red`).
    pub marking: String,
    /// Address a sighting of an indicator received from a peer to that indicator's producer
    /// (`x_pacific_recipients = [origin]`), so the policy gate may send it back to it, and to
    /// nobody else. Off: sightings name no recipient (under TLP:AMBER they stay here).
    pub share_sightings_with_producer: bool,
    /// When an incident's matched value is an address or a domain the jurisdiction registry
    /// has an answer for, send that party a TLP:AMBER abuse notice (a `sighting` of the
    /// indicator with the registry's answer, `x_pacific_recipients = [party]`) through the
    /// policy gate: to the one `contact` party, else the `operator`, else the `jurisdiction`;
    /// none when claims are in conflict or the party is this one. Off: incidents still name
    /// who answers, and nothing is sent.
    pub abuse_notices: bool,
    /// Input lines longer than this many bytes are skipped and counted.
    pub max_line_bytes: usize,
    /// Most bytes of input one `POST /match` may have, counted after decompression: beyond,
    /// reading stops and the request is answered 413 `match-input-too-large`.
    pub max_input_bytes: u64,
    /// Most seconds one `POST /match` may take, reading its body included: beyond, matching
    /// stops and the request is answered 413 `match-time-exceeded`.
    pub max_run_secs: u64,
}

impl Default for MatchingConfig {
    fn default() -> Self {
        Self {
            marking: "amber".into(),
            share_sightings_with_producer: false,
            abuse_notices: false,
            max_line_bytes: 1 << 20,
            max_input_bytes: 256 * 1024 * 1024,
            max_run_secs: 120,
        }
    }
}

/// This node's place in the federation (see `crate::federation`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FederationConfig {
    /// This party's id in the federation (what peers' policies and objects' markings name).
    /// Default: the party name in lower case, other characters than letters and digits as `-`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party_id: Option<String>,
    /// The base URL peers reach this node at. Default: `http(s)://<server.listen>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The organisation scope of TLP:AMBER+STRICT (parties sharing it may exchange it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    /// Run the outbox workers that push to peers (and catch up from them) while serving.
    pub outbox: bool,
    /// Largest envelope accepted at `/federation/inbox`, in bytes.
    pub max_envelope_bytes: usize,
    /// Most objects one envelope may carry (413 `envelope-too-many-objects` beyond, before
    /// anything is stored). This node's outbox sends at most 500 (`outbox::MAX_OBJECTS`).
    pub max_envelope_objects: usize,
    /// How far an envelope's or a signed request's time may be from this node's clock.
    pub max_clock_skew_secs: u64,
}

impl Default for FederationConfig {
    fn default() -> Self {
        Self {
            party_id: None,
            url: None,
            organisation: None,
            outbox: true,
            max_envelope_bytes: 16 * 1024 * 1024,
            max_envelope_objects: DEFAULT_MAX_ENVELOPE_OBJECTS,
            max_clock_skew_secs: 300,
        }
    }
}

/// Who runs this node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyConfig {
    pub name: String,
    pub stakeholder_type: StakeholderType,
    /// ISO 3166-1 alpha-2 code; required for `state` parties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on. Plain HTTP is refused unless this is a loopback address.
    pub listen: SocketAddr,
    /// Largest request body accepted, in bytes (TAXII `max_content_length`).
    pub max_content_length: usize,
    /// Page size when a TAXII request gives no `limit`.
    pub default_page_size: usize,
    /// Largest page a TAXII request may ask for.
    pub max_page_size: usize,
    /// Most objects one TAXII POST may carry (413 `too-many-objects` beyond).
    pub max_objects_per_post: usize,
    /// Most failures a TAXII status lists one by one; the rest are counted in one summary.
    pub max_status_failures: usize,
    /// Milliseconds a TAXII POST waits for its objects to be stored before answering: done in
    /// time, the answer is the `complete` status resource with its counts (so a client need
    /// not poll); otherwise the `pending` one, completed in the background. 0 never waits.
    pub post_wait_millis: u64,
    /// Seconds a client has to send a request's headers, counted from when its connection
    /// opens (after the TLS handshake, which has as long) or its previous answer is sent: a
    /// client sending partial headers is dropped, and a kept-alive connection idle this long is
    /// closed (the keep-alive idle timeout).
    pub header_timeout_secs: u64,
    /// Seconds a request body may take beyond what `min_body_rate` allows: the body must have
    /// arrived `body_timeout_secs` plus one second per `min_body_rate` bytes received after its
    /// headers, else the request is answered 408 `body-timeout` and its connection closed.
    pub body_timeout_secs: u64,
    /// The slowest a request body may arrive once past `body_timeout_secs`, in bytes a second.
    pub min_body_rate: u64,
    /// Most connections open at once; further ones are closed as soon as accepted.
    pub max_connections: usize,
    /// Most connections open at once from one client address (an IPv6 client: its /64), so one
    /// address cannot take every connection.
    pub max_connections_per_address: usize,
    /// Most bytes of request bodies held at once across all requests (counted as they arrive,
    /// held until the answer); a request whose body would pass it is answered 503 `server-busy`
    /// with `Retry-After`. `POST /match` streams its body and is bounded by `[matching]`.
    pub max_body_bytes_in_flight: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 9001)),
            max_content_length: 100 * 1024 * 1024,
            default_page_size: 1000,
            max_page_size: 10_000,
            max_objects_per_post: 100_000,
            max_status_failures: 1000,
            post_wait_millis: 2000,
            header_timeout_secs: 15,
            body_timeout_secs: 30,
            min_body_rate: 1024,
            max_connections: 512,
            max_connections_per_address: 64,
            max_body_bytes_in_flight: 256 * 1024 * 1024,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// Serve HTTPS. Required when `server.listen` is not a loopback address.
    pub enabled: bool,
    /// PEM certificate chain, relative to the data directory.
    pub cert: String,
    /// PEM private key, relative to the data directory.
    pub key: String,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            cert: "tls/cert.pem".into(),
            key: "tls/key.pem".into(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `pacific_node=debug,info`; `RUST_LOG` overrides it.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            level: "info".into(),
        }
    }
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a valid Pacific configuration: {message}")]
    Parse { path: String, message: String },
    #[error("environment variable {name}={value:?} is invalid: {reason}")]
    Env {
        name: &'static str,
        value: String,
        reason: String,
    },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Reads `pacific.toml` from a data directory and applies environment overrides.
    pub fn load(data_dir: &Path) -> Result<Self, ConfigError> {
        let path = data_dir.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let mut config = Self::from_toml(&text).map_err(|message| ConfigError::Parse {
            path: path.display().to_string(),
            message,
        })?;
        config.apply_env(|name| std::env::var(name).ok())?;
        config.check()?;
        Ok(config)
    }

    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("the configuration always serialises")
    }

    /// Overrides from `PACIFIC_LISTEN`, `PACIFIC_MAX_CONTENT_LENGTH`, `PACIFIC_LOG_FORMAT`,
    /// `PACIFIC_LOG_LEVEL`, `PACIFIC_TLS` (`true`/`false`).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(name: &'static str, value: String) -> Result<T, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            value.parse().map_err(|e: T::Err| ConfigError::Env {
                name,
                reason: e.to_string(),
                value,
            })
        }
        if let Some(v) = get("PACIFIC_LISTEN") {
            self.server.listen = parse("PACIFIC_LISTEN", v)?;
        }
        if let Some(v) = get("PACIFIC_MAX_CONTENT_LENGTH") {
            self.server.max_content_length = parse("PACIFIC_MAX_CONTENT_LENGTH", v)?;
        }
        if let Some(v) = get("PACIFIC_TLS") {
            self.tls.enabled = parse("PACIFIC_TLS", v)?;
        }
        if let Some(v) = get("PACIFIC_LOG_LEVEL") {
            self.log.level = v;
        }
        if let Some(v) = get("PACIFIC_LOG_FORMAT") {
            self.log.format = match v.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => {
                    return Err(ConfigError::Env {
                        name: "PACIFIC_LOG_FORMAT",
                        value: v,
                        reason: "expected text or json".into(),
                    });
                }
            };
        }
        Ok(())
    }

    /// Rules that span fields.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.party.name.trim().is_empty() {
            return Err(ConfigError::Invalid("party.name must not be empty".into()));
        }
        match (&self.party.jurisdiction, self.party.stakeholder_type) {
            (None, StakeholderType::State) => {
                return Err(ConfigError::Invalid(
                    "a state party needs party.jurisdiction".into(),
                ));
            }
            (Some(j), _) => {
                pacific_core::party::check_jurisdiction(j).map_err(ConfigError::Invalid)?
            }
            (None, _) => {}
        }
        if self.server.max_content_length == 0 || self.server.default_page_size == 0 {
            return Err(ConfigError::Invalid(
                "server limits must be positive".into(),
            ));
        }
        let s = &self.server;
        if s.header_timeout_secs == 0
            || s.body_timeout_secs == 0
            || s.min_body_rate == 0
            || s.max_connections == 0
            || s.max_connections_per_address == 0
            || self.federation.max_envelope_objects == 0
            || self.matching.max_input_bytes == 0
            || self.matching.max_run_secs == 0
        {
            return Err(ConfigError::Invalid(
                "server timeouts, rates and connection limits, federation.max_envelope_objects and the matching bounds must be positive".into(),
            ));
        }
        if s.max_connections_per_address > s.max_connections {
            return Err(ConfigError::Invalid(
                "server.max_connections_per_address exceeds server.max_connections".into(),
            ));
        }
        let largest_body = s.max_content_length.max(self.federation.max_envelope_bytes);
        if s.max_body_bytes_in_flight < largest_body || s.max_body_bytes_in_flight > MAX_BODY_BUDGET
        {
            return Err(ConfigError::Invalid(format!(
                "server.max_body_bytes_in_flight must be at least the largest body accepted ({largest_body} bytes: server.max_content_length, federation.max_envelope_bytes) and at most {MAX_BODY_BUDGET}"
            )));
        }
        if self.server.default_page_size > self.server.max_page_size {
            return Err(ConfigError::Invalid(
                "server.default_page_size exceeds server.max_page_size".into(),
            ));
        }
        if pacific_core::policy::parse_tlp_name(&self.matching.marking).is_none() {
            return Err(ConfigError::Invalid(format!(
                "matching.marking {:?} is not a TLP level (clear, green, amber, amber+strict, red)",
                self.matching.marking
            )));
        }
        if self.matching.max_line_bytes == 0 {
            return Err(ConfigError::Invalid(
                "matching.max_line_bytes must be positive".into(),
            ));
        }
        if !self.tls.enabled && !self.server.listen.ip().is_loopback() {
            return Err(ConfigError::Invalid(format!(
                "plain HTTP is only allowed on loopback; {} is not a loopback address: set tls.enabled = true (init made a certificate) or listen on 127.0.0.1",
                self.server.listen
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str =
        "[party]\nname = \"Alpha CERT\"\nstakeholder_type = \"state\"\njurisdiction = \"XA\"\n";

    #[test]
    fn minimal_file_gets_the_documented_defaults() {
        let c = Config::from_toml(MINIMAL).unwrap();
        assert_eq!(c.server, ServerConfig::default());
        assert!(!c.tls.enabled);
        c.check().unwrap();
        assert_eq!(Config::from_toml(&c.to_toml()).unwrap(), c);
    }

    #[test]
    fn the_example_file_parses_and_matches_the_defaults() {
        let text = include_str!("../../../pacific.example.toml");
        let c = Config::from_toml(text).unwrap();
        assert_eq!(c.server, ServerConfig::default());
        assert_eq!(c.tls, TlsConfig::default());
        assert_eq!(c.log, LogConfig::default());
        assert_eq!(c.federation, FederationConfig::default());
        assert_eq!(c.matching, MatchingConfig::default());
        assert_eq!(c.coop, CoopConfig::default());
        assert_eq!(c.governance, GovernanceConfig::default());
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = Config::from_toml(&format!(
            "{MINIMAL}[server]\nlisten_adress = \"127.0.0.1:1\"\n"
        ))
        .unwrap_err();
        assert!(err.contains("listen_adress"), "{err}");
    }

    #[test]
    fn environment_overrides_the_file() {
        let mut c = Config::from_toml(MINIMAL).unwrap();
        c.apply_env(|k| (k == "PACIFIC_LISTEN").then(|| "127.0.0.1:7777".to_string()))
            .unwrap();
        assert_eq!(c.server.listen.port(), 7777);
        let bad = c.apply_env(|k| (k == "PACIFIC_MAX_CONTENT_LENGTH").then(|| "lots".to_string()));
        assert!(matches!(
            bad,
            Err(ConfigError::Env {
                name: "PACIFIC_MAX_CONTENT_LENGTH",
                ..
            })
        ));
    }

    #[test]
    fn plain_http_off_loopback_is_refused() {
        let mut c = Config::from_toml(MINIMAL).unwrap();
        c.server.listen = "0.0.0.0:9001".parse().unwrap();
        assert!(c.check().is_err());
        c.tls.enabled = true;
        c.check().unwrap();
    }

    #[test]
    fn the_bounds_must_be_positive_and_consistent() {
        let ok = Config::from_toml(MINIMAL).unwrap();
        let refused = |change: fn(&mut Config)| {
            let mut c = ok.clone();
            change(&mut c);
            c.check().is_err()
        };
        assert!(refused(|c| c.server.header_timeout_secs = 0));
        assert!(refused(|c| c.server.min_body_rate = 0));
        assert!(refused(|c| c.matching.max_run_secs = 0));
        assert!(refused(|c| c.federation.max_envelope_objects = 0));
        assert!(refused(|c| c.server.max_connections_per_address = 513));
        // The budget must take the largest body accepted, and fit in u32.
        assert!(refused(
            |c| c.server.max_body_bytes_in_flight = 100 * 1024 * 1024 - 1
        ));
        assert!(refused(
            |c| c.server.max_body_bytes_in_flight = MAX_BODY_BUDGET + 1
        ));
        let mut c = ok.clone();
        c.server.max_body_bytes_in_flight = c.server.max_content_length;
        c.check().unwrap();
    }

    #[test]
    fn a_state_needs_a_jurisdiction() {
        let c = Config::from_toml("[party]\nname = \"A\"\nstakeholder_type = \"state\"\n").unwrap();
        assert!(c.check().is_err());
    }
}
