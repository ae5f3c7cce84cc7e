//! TAXII 2.1 query semantics, independent of HTTP: the filters of the objects, manifest and
//! versions endpoints (`added_after`, `limit`, `next`, `match[id]`, `match[type]`,
//! `match[version]`, `match[spec_version]`), the status resource and the media types, which
//! the node's server and its clients share.

use std::fmt;

use crate::time::Timestamp;

/// The TAXII 2.1 media type, sent with every TAXII response and request body.
pub const TAXII_MEDIA_TYPE: &str = "application/taxii+json;version=2.1";
/// The STIX 2.1 media type of objects in collections.
pub const STIX_MEDIA_TYPE: &str = "application/stix+json;version=2.1";

/// One value of `match[version]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionSelector {
    /// The earliest version of each object.
    First,
    /// The latest version of each object (the default when no `match[version]` is given).
    Last,
    /// Every version.
    All,
    /// The version with exactly this timestamp.
    At(Timestamp),
}

/// Where a page ends: the position of the last version returned, opaque to clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageCursor(pub i64);

impl PageCursor {
    /// The form clients see in `next` (and send back).
    pub fn encode(self) -> String {
        format!("{:x}", self.0)
    }

    pub fn decode(s: &str) -> Option<Self> {
        if s.is_empty() || s.len() > 16 {
            return None;
        }
        i64::from_str_radix(s, 16)
            .ok()
            .filter(|v| *v >= 0)
            .map(PageCursor)
    }
}

impl fmt::Display for PageCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

/// The filters of a TAXII request against one collection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectQuery {
    /// Only versions added strictly after this time.
    pub added_after: Option<Timestamp>,
    /// Only these object ids (empty: any).
    pub ids: Vec<String>,
    /// Only these object types (empty: any).
    pub types: Vec<String>,
    /// Which versions of each object; never empty (defaults to `[Last]`).
    pub versions: Vec<VersionSelector>,
    /// Only these spec versions (empty: any; this node stores 2.1 only).
    pub spec_versions: Vec<String>,
    /// At most this many versions in one page.
    pub limit: usize,
    /// Continue after this position.
    pub next: Option<PageCursor>,
}

impl ObjectQuery {
    /// A query for everything, latest versions, with the given page size.
    pub fn all(limit: usize) -> Self {
        Self {
            added_after: None,
            ids: Vec::new(),
            types: Vec::new(),
            versions: vec![VersionSelector::Last],
            spec_versions: Vec::new(),
            limit,
            next: None,
        }
    }

    /// Reads the filters from URL query pairs. Unknown parameters are an error, as are bad
    /// values; `limit` is capped at `max_limit` and defaults to `default_limit`.
    /// `allowed` lists the filters the endpoint supports (the TAXII spec varies them by endpoint).
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        allowed: &[&str],
        default_limit: usize,
        max_limit: usize,
    ) -> Result<Self, QueryError> {
        let mut q = Self::all(default_limit);
        let mut versions = Vec::new();
        for (key, value) in pairs {
            if !allowed.contains(&key) {
                return Err(QueryError::new(
                    key,
                    "is not a filter this endpoint supports",
                ));
            }
            match key {
                "added_after" => {
                    q.added_after = Some(
                        Timestamp::parse(value).map_err(|e| QueryError::new(key, e.to_string()))?,
                    )
                }
                "limit" => {
                    let n: usize = value
                        .parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| QueryError::new(key, "must be a positive integer"))?;
                    q.limit = n.min(max_limit);
                }
                "next" => {
                    q.next =
                        Some(PageCursor::decode(value).ok_or_else(|| {
                            QueryError::new(key, "is not a value this server issued")
                        })?)
                }
                "match[id]" => {
                    for id in split(value) {
                        if !id.contains("--") {
                            return Err(QueryError::new(
                                key,
                                format!("{id:?} is not a STIX identifier"),
                            ));
                        }
                        q.ids.push(id.to_owned());
                    }
                }
                "match[type]" => q.types.extend(split(value).map(str::to_owned)),
                "match[version]" => {
                    for v in split(value) {
                        versions.push(match v {
                            "first" => VersionSelector::First,
                            "last" => VersionSelector::Last,
                            "all" => VersionSelector::All,
                            ts => VersionSelector::At(Timestamp::parse(ts).map_err(|_| {
                                QueryError::new(
                                    key,
                                    format!("{ts:?} is neither first, last, all nor a timestamp"),
                                )
                            })?),
                        });
                    }
                }
                "match[spec_version]" => q.spec_versions.extend(split(value).map(str::to_owned)),
                _ => {
                    return Err(QueryError::new(
                        key,
                        "is not a filter this endpoint supports",
                    ));
                }
            }
        }
        if !versions.is_empty() {
            if versions.contains(&VersionSelector::All) {
                versions = vec![VersionSelector::All];
            }
            q.versions = versions;
        }
        Ok(q)
    }
}

fn split(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// A bad query parameter.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("query parameter `{parameter}` {reason}")]
pub struct QueryError {
    pub parameter: String,
    pub reason: String,
}

impl QueryError {
    fn new(parameter: &str, reason: impl Into<String>) -> Self {
        Self {
            parameter: parameter.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Whether a status resource's work is finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusState {
    Pending,
    Complete,
}

/// One object's outcome in a status resource.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StatusDetail {
    pub id: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message: Option<String>,
}

/// The TAXII 2.1 status resource (§4.3.1) of one POST to a collection's objects.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Status {
    pub id: String,
    pub status: StatusState,
    pub request_timestamp: Timestamp,
    pub total_count: u64,
    pub success_count: u64,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub successes: Vec<StatusDetail>,
    pub failure_count: u64,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub failures: Vec<StatusDetail>,
    pub pending_count: u64,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub pendings: Vec<StatusDetail>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[&str] = &[
        "added_after",
        "limit",
        "next",
        "match[id]",
        "match[type]",
        "match[version]",
        "match[spec_version]",
    ];

    #[test]
    fn defaults_to_the_latest_versions() {
        let q = ObjectQuery::from_pairs([], ALL, 100, 1000).unwrap();
        assert_eq!(q, ObjectQuery::all(100));
    }

    #[test]
    fn reads_every_filter() {
        let q = ObjectQuery::from_pairs(
            [
                ("added_after", "2020-01-01T00:00:00Z"),
                ("limit", "5000"),
                ("match[type]", "indicator,malware"),
                ("match[version]", "first,2021-01-01T00:00:00.000Z"),
                (
                    "match[id]",
                    "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                ),
                ("match[spec_version]", "2.1"),
                ("next", "ff"),
            ],
            ALL,
            100,
            1000,
        )
        .unwrap();
        assert_eq!(q.limit, 1000);
        assert_eq!(q.types, ["indicator", "malware"]);
        assert_eq!(q.versions[0], VersionSelector::First);
        assert!(matches!(q.versions[1], VersionSelector::At(_)));
        assert_eq!(q.next, Some(PageCursor(255)));
        assert_eq!(q.ids.len(), 1);
        assert_eq!(q.spec_versions, ["2.1"]);
    }

    #[test]
    fn all_overrides_other_version_selectors() {
        let q = ObjectQuery::from_pairs([("match[version]", "first,all")], ALL, 10, 10).unwrap();
        assert_eq!(q.versions, [VersionSelector::All]);
    }

    #[test]
    fn rejects_bad_values_and_unsupported_filters() {
        for (k, v) in [
            ("added_after", "yesterday"),
            ("limit", "0"),
            ("limit", "-3"),
            ("next", "zz"),
            ("match[version]", "newest"),
            ("match[id]", "not-an-id"),
            ("colour", "blue"),
        ] {
            let err = ObjectQuery::from_pairs([(k, v)], ALL, 10, 10).unwrap_err();
            assert_eq!(err.parameter, k);
        }
        assert!(
            ObjectQuery::from_pairs([("match[version]", "all")], &["match[id]"], 10, 10).is_err()
        );
    }
}
