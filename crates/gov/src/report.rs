//! Compliance reports: what a party observed of the others' conduct under the norms, published
//! each quarter, and the figures about a party summed from its counterparts' reports.
//!
//! A party never reports on itself: a figure about a party comes only from the parties that
//! dealt with it. A report is a STIX 2.1 `report` (TLP:GREEN, so every member may read it)
//! whose observations sit in a property extension defined by a fixed Pacific
//! `extension-definition` ([`COMPLIANCE_EXTENSION_ID`], schema in
//! `crates/gov/schemas/x-pacific-compliance-report.json`). The reporter is the party whose node
//! published the object: [`ComplianceReport::from_stix`] takes it from the caller, who knows
//! where the object came from, and refuses a report naming another reporter.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use pacific_core::policy::PartyId;
use pacific_core::tlp::TLP2_GREEN;
use pacific_core::{StixObject, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::norms::{Measure, MeasureKind, canonical_id, norm};

/// The fixed id of the extension that carries a report's observations.
pub const COMPLIANCE_EXTENSION_ID: &str =
    "extension-definition--c83b3da1-be88-4bee-832f-2544b1e4f332";
/// The `report_types` value of a compliance report.
pub const COMPLIANCE_REPORT_TYPE: &str = "x-pacific-compliance";
/// The identity that defines Pacific's extensions: the same as `pacific_coop::stix`'s (this
/// crate does not depend on `coop`; the node's tests check that the two agree).
pub const PACIFIC_IDENTITY_ID: &str = "identity--5b4f6f0e-7d0a-4c1e-9a51-2f1b7c3d9e00";
const DEFINITION_CREATED: &str = "2026-01-01T00:00:00.000Z";
const DEFINITION_VERSION: &str = "1.0.0";

/// The JSON Schema of the extension's properties, as published in `crates/gov/schemas/`.
pub fn compliance_schema() -> &'static str {
    include_str!("../schemas/x-pacific-compliance-report.json")
}

/// The `extension-definition` (`property-extension`) of compliance reports.
pub fn compliance_extension_definition() -> StixObject {
    StixObject::from_value(json!({
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": COMPLIANCE_EXTENSION_ID,
        "created_by_ref": PACIFIC_IDENTITY_ID,
        "created": DEFINITION_CREATED,
        "modified": DEFINITION_CREATED,
        "name": "Pacific compliance observations",
        "description": "A federation member's observations, for one quarter, of the other members' conduct under the UN GGE 2015 norms (A/70/174 paragraph 13), measured from the cooperation records it holds. Never about the reporter itself.",
        "schema": compliance_schema(),
        "version": DEFINITION_VERSION,
        "extension_types": ["property-extension"],
    }))
    .expect("the compliance extension definition is valid STIX")
}

/// Why a report, or one of its observations, is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("a party does not report on itself ({0})")]
    AboutItself(PartyId),
    #[error("{count} is more than the total {of} ({about}, {norm}, {measure})")]
    CountOverTotal {
        about: PartyId,
        norm: String,
        measure: Measure,
        count: u64,
        of: u64,
    },
    #[error("not a norm of the catalogue: {0:?}")]
    UnknownNorm(String),
    #[error("{measure} is not a measure of norm {norm}")]
    MeasureNotOfNorm { norm: String, measure: Measure },
    #[error("({about}, {norm}, {measure}) is observed twice in one report")]
    Duplicate {
        about: PartyId,
        norm: String,
        measure: Measure,
    },
    #[error("not a compliance report: {0}")]
    NotAReport(String),
    #[error("invalid report: {0}")]
    Invalid(String),
}

fn invalid(reason: impl Into<String>) -> ReportError {
    ReportError::Invalid(reason.into())
}

/// A calendar quarter, written `2026-Q4`: the period a report covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReportPeriod {
    year: i32,
    quarter: u8,
}

/// The years a period may fall in: those whose quarters' bounds are STIX timestamps.
const YEARS: std::ops::RangeInclusive<i32> = 1970..=9998;

impl ReportPeriod {
    /// Quarter `quarter` (1 to 4) of `year` (1970 to 9998).
    pub fn new(year: i32, quarter: u8) -> Result<Self, ReportError> {
        if !YEARS.contains(&year) {
            return Err(invalid(format!("year {year} is outside 1970..=9998")));
        }
        if !(1..=4).contains(&quarter) {
            return Err(invalid(format!("quarter {quarter} is not 1 to 4")));
        }
        Ok(Self { year, quarter })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn quarter(self) -> u8 {
        self.quarter
    }

    /// The quarter `ts` falls in.
    pub fn containing(ts: &Timestamp) -> Result<Self, ReportError> {
        // The canonical text of the same instant starts `YYYY-MM`.
        let (secs, _) = ts.unix();
        let text = Timestamp::from_unix(secs, 0);
        let text = text.as_str();
        let year: i32 = text
            .get(0..4)
            .and_then(|y| y.parse().ok())
            .ok_or_else(|| invalid(format!("no year in {ts}")))?;
        let month: u8 = text
            .get(5..7)
            .and_then(|m| m.parse().ok())
            .ok_or_else(|| invalid(format!("no month in {ts}")))?;
        Self::new(year, (month - 1) / 3 + 1)
    }

    /// The first instant of the quarter (inclusive).
    pub fn start(self) -> Timestamp {
        quarter_start(self.year, self.quarter)
    }

    /// The first instant after the quarter (exclusive): the next quarter's start.
    pub fn end(self) -> Timestamp {
        if self.quarter == 4 {
            quarter_start(self.year + 1, 1)
        } else {
            quarter_start(self.year, self.quarter + 1)
        }
    }

    /// Whether `ts` falls in the quarter (`start ≤ ts < end`).
    pub fn contains(self, ts: &Timestamp) -> bool {
        self.start() <= *ts && *ts < self.end()
    }
}

fn quarter_start(year: i32, quarter: u8) -> Timestamp {
    let month = (quarter - 1) * 3 + 1;
    Timestamp::parse(&format!("{year:04}-{month:02}-01T00:00:00Z"))
        .expect("a quarter of 1970..=9999 starts at a valid timestamp")
}

impl fmt::Display for ReportPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-Q{}", self.year, self.quarter)
    }
}

impl FromStr for ReportPeriod {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || invalid(format!("{s:?} is not a quarter (expected YYYY-Qn)"));
        let (year, quarter) = s.split_once("-Q").ok_or_else(bad)?;
        if year.len() != 4 || quarter.len() != 1 {
            return Err(bad());
        }
        let year = year.parse().map_err(|_| bad())?;
        let quarter = quarter.parse().map_err(|_| bad())?;
        Self::new(year, quarter)
    }
}

impl Serialize for ReportPeriod {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ReportPeriod {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What the reporter saw of one party under one measure of one norm.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    pub about: PartyId,
    /// The norm's id, `13h` (other spellings are made canonical by [`ComplianceReport::new`]).
    pub norm: String,
    pub measure: Measure,
    /// The cases that went well (a ratio) or were measured (a duration: one sample each).
    pub count: u64,
    /// All the cases.
    pub of: u64,
    /// For a duration: one value per case counted, in seconds (for p50 and p90).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<u64>,
}

/// The reporter's transparency-log checkpoint the report was computed at, so a reader can
/// check that the records behind it were logged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointRef {
    pub size: u64,
    /// The root hash as the log's checkpoint writes it (standard base64).
    pub root: String,
}

/// One party's observations of the others for one quarter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComplianceReport {
    pub reporter: PartyId,
    pub period: ReportPeriod,
    pub observations: Vec<Observation>,
    pub checkpoint: Option<CheckpointRef>,
}

/// The extension's properties, as the object carries them.
#[derive(Serialize, Deserialize)]
struct Extension {
    extension_type: String,
    reporter: PartyId,
    period: ReportPeriod,
    observations: Vec<Observation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    checkpoint: Option<CheckpointRef>,
}

impl ComplianceReport {
    /// A report, checked: every observation is about another party, of a norm of the
    /// catalogue and one of that norm's measures, with `count ≤ of`, and a duration's samples
    /// one per case counted; no (party, norm, measure) twice. Norm ids are made canonical.
    pub fn new(
        reporter: PartyId,
        period: ReportPeriod,
        observations: Vec<Observation>,
        checkpoint: Option<CheckpointRef>,
    ) -> Result<Self, ReportError> {
        if reporter.as_str().trim().is_empty() {
            return Err(invalid("the reporter is blank"));
        }
        let mut seen = BTreeSet::new();
        let mut checked = Vec::with_capacity(observations.len());
        for mut o in observations {
            check_observation(&reporter, &mut o)?;
            if !seen.insert((o.about.clone(), o.norm.clone(), o.measure)) {
                return Err(ReportError::Duplicate {
                    about: o.about,
                    norm: o.norm,
                    measure: o.measure,
                });
            }
            checked.push(o);
        }
        if let Some(c) = &checkpoint
            && c.root.trim().is_empty()
        {
            return Err(invalid("the checkpoint's root is blank"));
        }
        Ok(Self {
            reporter,
            period,
            observations: checked,
            checkpoint,
        })
    }

    /// The report as a STIX `report` object with id `report--<uuid>`, created and published at
    /// `created`. Its `object_refs` names the extension definition (STIX wants one reference
    /// at least, and the observations are about parties, not objects).
    pub fn to_stix(&self, uuid: &str, created: &Timestamp) -> Result<StixObject, ReportError> {
        let extension = Extension {
            extension_type: "property-extension".into(),
            reporter: self.reporter.clone(),
            period: self.period,
            observations: self.observations.clone(),
            checkpoint: self.checkpoint.clone(),
        };
        let extension = serde_json::to_value(extension).map_err(|e| invalid(e.to_string()))?;
        StixObject::from_value(json!({
            "type": "report",
            "spec_version": "2.1",
            "id": format!("report--{uuid}"),
            "created": created,
            "modified": created,
            "name": format!("Pacific compliance observations {} {}", self.reporter, self.period),
            "report_types": [COMPLIANCE_REPORT_TYPE],
            "published": created,
            "object_refs": [COMPLIANCE_EXTENSION_ID],
            "object_marking_refs": [TLP2_GREEN],
            "extensions": { COMPLIANCE_EXTENSION_ID: extension },
        }))
        .map_err(|e| invalid(e.to_string()))
    }

    /// Whether `object` is a compliance report (a `report` carrying the extension).
    pub fn is_report(object: &StixObject) -> bool {
        object.type_name() == "report" && extension_of(object).is_some()
    }

    /// The report `object` holds, published by `origin`'s node. Refused: another object, a
    /// report naming a reporter other than `origin`, and anything [`ComplianceReport::new`]
    /// refuses, an observation about `origin` itself first of all.
    pub fn from_stix(object: &StixObject, origin: &PartyId) -> Result<Self, ReportError> {
        if object.type_name() != "report" {
            return Err(ReportError::NotAReport(format!(
                "type is {:?}",
                object.type_name()
            )));
        }
        let extension = extension_of(object).ok_or_else(|| {
            ReportError::NotAReport(format!("no extension {COMPLIANCE_EXTENSION_ID}"))
        })?;
        let extension: Extension =
            serde_json::from_value(extension.clone()).map_err(|e| invalid(e.to_string()))?;
        if extension.extension_type != "property-extension" {
            return Err(invalid(format!(
                "extension_type is {:?}, not property-extension",
                extension.extension_type
            )));
        }
        if &extension.reporter != origin {
            return Err(invalid(format!(
                "the report names {} as its reporter, but {origin} published it",
                extension.reporter
            )));
        }
        Self::new(
            origin.clone(),
            extension.period,
            extension.observations,
            extension.checkpoint,
        )
    }
}

fn extension_of(object: &StixObject) -> Option<&Value> {
    object
        .get("extensions")
        .and_then(|e| e.get(COMPLIANCE_EXTENSION_ID))
}

fn check_observation(reporter: &PartyId, o: &mut Observation) -> Result<(), ReportError> {
    if &o.about == reporter {
        return Err(ReportError::AboutItself(o.about.clone()));
    }
    if o.about.as_str().trim().is_empty() {
        return Err(invalid("an observation is about a blank party"));
    }
    let norm_id = canonical_id(&o.norm).ok_or_else(|| ReportError::UnknownNorm(o.norm.clone()))?;
    let the_norm = norm(&norm_id).ok_or_else(|| ReportError::UnknownNorm(o.norm.clone()))?;
    o.norm = norm_id;
    if !the_norm.measures(o.measure) {
        return Err(ReportError::MeasureNotOfNorm {
            norm: o.norm.clone(),
            measure: o.measure,
        });
    }
    if o.count > o.of {
        return Err(ReportError::CountOverTotal {
            about: o.about.clone(),
            norm: o.norm.clone(),
            measure: o.measure,
            count: o.count,
            of: o.of,
        });
    }
    match o.measure.kind() {
        MeasureKind::Ratio if !o.samples.is_empty() => Err(invalid(format!(
            "{} is a ratio and has no samples",
            o.measure
        ))),
        MeasureKind::DurationSecs if o.samples.len() as u64 != o.count => Err(invalid(format!(
            "{} has {} samples for {} cases counted",
            o.measure,
            o.samples.len(),
            o.count
        ))),
        _ => Ok(()),
    }
}

/// The figure about one party under one measure of one norm, summed over its counterparts'
/// reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Figure {
    pub about: PartyId,
    pub norm: String,
    pub measure: Measure,
    pub count: u64,
    pub of: u64,
    /// Every reporter's samples, in ascending order.
    pub samples: Vec<u64>,
    /// The parties whose reports the figure sums.
    pub observers: BTreeSet<PartyId>,
}

impl Figure {
    /// The median of the samples, nearest-rank (a sample, never an interpolation).
    pub fn p50(&self) -> Option<u64> {
        nearest_rank(&self.samples, 50)
    }

    /// The 90th percentile of the samples, nearest-rank.
    pub fn p90(&self) -> Option<u64> {
        nearest_rank(&self.samples, 90)
    }
}

/// The `percent`th percentile of ascending `sorted` by the nearest-rank method: the value at
/// rank ⌈percent × n / 100⌉ (1-based), computed in integers. `None` for no samples.
pub fn nearest_rank(sorted: &[u64], percent: u8) -> Option<u64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (usize::from(percent.min(100)) * n).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// The figures of `period`, from the reports given, per (party, norm, measure) in that order.
///
/// The reports are taken in the order given, which must be the order they were published in:
/// when a reporter published several reports for the period, only the last one given counts
/// (a correction replaces what it corrects). Reports of other periods are ignored, and so is
/// any observation a report makes about its own reporter or with a count over its total (a
/// report built with [`ComplianceReport::new`] has none).
pub fn aggregate(reports: &[ComplianceReport], period: ReportPeriod) -> Vec<Figure> {
    let mut last: BTreeMap<&PartyId, &ComplianceReport> = BTreeMap::new();
    for r in reports.iter().filter(|r| r.period == period) {
        last.insert(&r.reporter, r);
    }
    let mut figures: BTreeMap<(PartyId, String, Measure), Figure> = BTreeMap::new();
    for (reporter, report) in last {
        for o in &report.observations {
            if &o.about == reporter || o.count > o.of {
                continue;
            }
            let norm_id = canonical_id(&o.norm).unwrap_or_else(|| o.norm.clone());
            let figure = figures
                .entry((o.about.clone(), norm_id.clone(), o.measure))
                .or_insert_with(|| Figure {
                    about: o.about.clone(),
                    norm: norm_id,
                    measure: o.measure,
                    count: 0,
                    of: 0,
                    samples: Vec::new(),
                    observers: BTreeSet::new(),
                });
            figure.count = figure.count.saturating_add(o.count);
            figure.of = figure.of.saturating_add(o.of);
            figure.samples.extend_from_slice(&o.samples);
            figure.observers.insert(reporter.clone());
        }
    }
    figures
        .into_values()
        .map(|mut f| {
            f.samples.sort_unstable();
            f
        })
        .collect()
}
