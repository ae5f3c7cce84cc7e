//! Compliance reports: a party's observations of the others for a quarter, never of itself;
//! the STIX `report` that carries them and reads back the same; and the figures about a party,
//! summed from its counterparts' last reports of the quarter.

use pacific_core::policy::PartyId;
use pacific_core::tlp::TLP2_GREEN;
use pacific_core::{StixObject, Timestamp};
use pacific_gov::norms::Measure::{self, *};
use pacific_gov::report::{
    COMPLIANCE_EXTENSION_ID, CheckpointRef, ComplianceReport, Figure, Observation, ReportError,
    ReportPeriod, aggregate, compliance_extension_definition, compliance_schema, nearest_rank,
};

const UUID: &str = "6f1c2b9e-3d4a-4e5f-8a7b-0c1d2e3f4a5b";

fn party(id: &str) -> PartyId {
    PartyId::new(id)
}

fn q(s: &str) -> ReportPeriod {
    s.parse().unwrap()
}

fn ratio(about: &str, norm: &str, measure: Measure, count: u64, of: u64) -> Observation {
    Observation {
        about: party(about),
        norm: norm.into(),
        measure,
        count,
        of,
        samples: Vec::new(),
    }
}

fn durations(about: &str, norm: &str, of: u64, samples: &[u64]) -> Observation {
    Observation {
        about: party(about),
        norm: norm.into(),
        measure: EmergencyAcknowledgementSecs,
        count: samples.len() as u64,
        of,
        samples: samples.to_vec(),
    }
}

fn report(reporter: &str, period: &str, observations: Vec<Observation>) -> ComplianceReport {
    ComplianceReport::new(party(reporter), q(period), observations, None).unwrap()
}

fn created() -> Timestamp {
    Timestamp::parse("2027-01-05T10:00:00.000Z").unwrap()
}

// ---- the period ----

#[test]
fn a_period_reads_and_writes_as_year_and_quarter() {
    let p = q("2026-Q4");
    assert_eq!((p.year(), p.quarter()), (2026, 4));
    assert_eq!(p.to_string(), "2026-Q4");
    for bad in [
        "2026-Q5", "2026-Q0", "2026Q4", "26-Q4", "2026-Q04", "2026-q4", "", "1969-Q4",
    ] {
        assert!(
            bad.parse::<ReportPeriod>().is_err(),
            "{bad:?} read as a period"
        );
    }
}

#[test]
fn a_quarter_runs_from_its_first_instant_to_the_next_quarters_first_excluded() {
    let p = q("2026-Q4");
    assert_eq!(p.start(), Timestamp::parse("2026-10-01T00:00:00Z").unwrap());
    assert_eq!(p.end(), Timestamp::parse("2027-01-01T00:00:00Z").unwrap());
    assert_eq!(
        q("2026-Q2").start(),
        Timestamp::parse("2026-04-01T00:00:00Z").unwrap()
    );
    assert_eq!(
        q("2026-Q2").end(),
        Timestamp::parse("2026-07-01T00:00:00Z").unwrap()
    );
    assert!(p.contains(&Timestamp::parse("2026-10-01T00:00:00Z").unwrap()));
    assert!(p.contains(&Timestamp::parse("2026-12-31T23:59:59.999999Z").unwrap()));
    assert!(!p.contains(&Timestamp::parse("2027-01-01T00:00:00Z").unwrap()));
    assert!(!p.contains(&Timestamp::parse("2026-09-30T23:59:59Z").unwrap()));
}

#[test]
fn the_quarter_containing_an_instant() {
    let at = |s: &str| ReportPeriod::containing(&Timestamp::parse(s).unwrap()).unwrap();
    assert_eq!(at("2026-03-31T23:59:59.5Z"), q("2026-Q1"));
    assert_eq!(at("2026-04-01T00:00:00Z"), q("2026-Q2"));
    assert_eq!(at("2026-09-15T12:00:00Z"), q("2026-Q3"));
    assert_eq!(at("2026-12-31T23:59:59Z"), q("2026-Q4"));
}

// ---- what a report may say ----

#[test]
fn a_report_about_the_reporter_itself_is_refused() {
    let r = ComplianceReport::new(
        party("alpha"),
        q("2026-Q4"),
        vec![
            ratio("bravo", "13h", RequestsAnsweredInTime, 1, 2),
            ratio("alpha", "13h", RequestsAnsweredInTime, 2, 2),
        ],
        None,
    );
    assert_eq!(r, Err(ReportError::AboutItself(party("alpha"))));
}

#[test]
fn a_count_over_its_total_is_refused() {
    let r = ComplianceReport::new(
        party("alpha"),
        q("2026-Q4"),
        vec![ratio("bravo", "13h", RequestsAnsweredInTime, 3, 2)],
        None,
    );
    assert!(
        matches!(
            r,
            Err(ReportError::CountOverTotal {
                count: 3,
                of: 2,
                ..
            })
        ),
        "{r:?}"
    );
}

#[test]
fn an_unknown_norm_or_a_measure_of_another_norm_is_refused() {
    let one = |o: Observation| ComplianceReport::new(party("alpha"), q("2026-Q4"), vec![o], None);
    assert_eq!(
        one(ratio("bravo", "13z", RequestsAnsweredInTime, 1, 1)),
        Err(ReportError::UnknownNorm("13z".into()))
    );
    assert_eq!(
        one(ratio("bravo", "13a", RequestsAnsweredInTime, 1, 1)),
        Err(ReportError::MeasureNotOfNorm {
            norm: "13a".into(),
            measure: RequestsAnsweredInTime
        })
    );
    assert!(matches!(
        one(ratio("bravo", "13h", TakedownsAnsweredInTime, 1, 1)),
        Err(ReportError::MeasureNotOfNorm { .. })
    ));
}

#[test]
fn a_duration_has_one_sample_per_case_counted_and_a_ratio_none() {
    let one = |o: Observation| ComplianceReport::new(party("alpha"), q("2026-Q4"), vec![o], None);
    let mut short = durations("bravo", "13f", 3, &[60, 120]);
    short.count = 3;
    assert!(matches!(one(short), Err(ReportError::Invalid(_))));
    let mut with_samples = ratio("bravo", "13h", RequestsAnsweredInTime, 1, 1);
    with_samples.samples = vec![5];
    assert!(matches!(one(with_samples), Err(ReportError::Invalid(_))));
    assert!(one(durations("bravo", "13f", 3, &[60, 120])).is_ok());
}

#[test]
fn the_same_party_norm_and_measure_twice_in_one_report_is_refused() {
    let r = ComplianceReport::new(
        party("alpha"),
        q("2026-Q4"),
        vec![
            ratio("bravo", "13h", RequestsAnsweredInTime, 1, 2),
            ratio("bravo", "13(h)", RequestsAnsweredInTime, 2, 2),
        ],
        None,
    );
    assert!(matches!(r, Err(ReportError::Duplicate { .. })), "{r:?}");
}

#[test]
fn a_norm_written_another_way_is_kept_in_its_canonical_form() {
    let r = report(
        "alpha",
        "2026-Q4",
        vec![ratio("bravo", "13(H)", RequestsAnsweredInTime, 1, 2)],
    );
    assert_eq!(r.observations[0].norm, "13h");
}

// ---- the STIX object ----

fn sample_report() -> ComplianceReport {
    ComplianceReport::new(
        party("alpha"),
        q("2026-Q4"),
        vec![
            ratio("bravo", "13h", RequestsAcknowledgedInTime, 4, 5),
            ratio("bravo", "13c", TakedownsAnsweredInTime, 0, 1),
            durations("charlie", "13f", 3, &[600, 60]),
        ],
        Some(CheckpointRef {
            size: 1234,
            root: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into(),
        }),
    )
    .unwrap()
}

#[test]
fn a_report_reads_back_the_same_from_its_stix_object() {
    let r = sample_report();
    let object = r.to_stix(UUID, &created()).unwrap();
    assert!(ComplianceReport::is_report(&object));
    assert_eq!(ComplianceReport::from_stix(&object, &party("alpha")), Ok(r));
}

#[test]
fn the_stix_object_is_a_valid_tlp_green_report_of_the_compliance_type() {
    let object = sample_report().to_stix(UUID, &created()).unwrap();
    // Read again from its text, through every rule of the validator.
    let again = StixObject::from_json(&object.to_json()).unwrap();
    assert_eq!(again.type_name(), "report");
    assert_eq!(again.id(), format!("report--{UUID}"));
    assert_eq!(
        again.object_marking_refs().collect::<Vec<_>>(),
        vec![TLP2_GREEN]
    );
    assert_eq!(
        again.get("name").and_then(|v| v.as_str()),
        Some("Pacific compliance observations alpha 2026-Q4")
    );
    assert_eq!(
        again.get("report_types"),
        Some(&serde_json::json!(["x-pacific-compliance"]))
    );
    assert_eq!(again.get("published"), Some(&serde_json::json!(created())));
    let refs = again.get("object_refs").and_then(|v| v.as_array()).unwrap();
    assert!(!refs.is_empty());
    let ext = &again.get("extensions").unwrap()[COMPLIANCE_EXTENSION_ID];
    assert_eq!(ext["extension_type"], "property-extension");
    assert_eq!(ext["period"], "2026-Q4");
    assert_eq!(
        ext["observations"][2]["samples"],
        serde_json::json!([600, 60])
    );
    assert!(ext["observations"][0].get("samples").is_none());
    assert_eq!(ext["checkpoint"]["size"], 1234);
}

#[test]
fn a_bad_uuid_is_an_error_not_a_panic() {
    assert!(matches!(
        sample_report().to_stix("not-a-uuid", &created()),
        Err(ReportError::Invalid(_))
    ));
}

#[test]
fn a_report_published_by_the_party_it_observes_is_refused() {
    // Built without `new`, as a party could publish it.
    let r = ComplianceReport {
        reporter: party("bravo"),
        period: q("2026-Q4"),
        observations: vec![ratio("bravo", "13h", RequestsAnsweredInTime, 9, 9)],
        checkpoint: None,
    };
    let object = r.to_stix(UUID, &created()).unwrap();
    assert_eq!(
        ComplianceReport::from_stix(&object, &party("bravo")),
        Err(ReportError::AboutItself(party("bravo")))
    );
}

#[test]
fn a_report_naming_a_reporter_other_than_its_publisher_is_refused() {
    let object = sample_report().to_stix(UUID, &created()).unwrap();
    assert!(matches!(
        ComplianceReport::from_stix(&object, &party("delta")),
        Err(ReportError::Invalid(_))
    ));
}

#[test]
fn another_report_is_not_a_compliance_report() {
    let plain = StixObject::from_value(serde_json::json!({
        "type": "report", "spec_version": "2.1", "id": format!("report--{UUID}"),
        "created": created(), "modified": created(), "name": "APT notes",
        "published": created(), "object_refs": [COMPLIANCE_EXTENSION_ID],
    }))
    .unwrap();
    assert!(!ComplianceReport::is_report(&plain));
    assert!(matches!(
        ComplianceReport::from_stix(&plain, &party("alpha")),
        Err(ReportError::NotAReport(_))
    ));
}

#[test]
fn the_extension_definition_is_valid_stix_and_carries_the_published_schema() {
    let def = compliance_extension_definition();
    assert_eq!(def.id(), COMPLIANCE_EXTENSION_ID);
    assert_eq!(
        def.get("extension_types"),
        Some(&serde_json::json!(["property-extension"]))
    );
    assert_eq!(
        def.get("schema").and_then(|s| s.as_str()),
        Some(compliance_schema())
    );
    let schema: serde_json::Value = serde_json::from_str(compliance_schema()).unwrap();
    let measures = &schema["$defs"]["observation"]["properties"]["measure"]["enum"];
    let names: Vec<&str> = Measure::ALL.iter().map(|m| m.as_str()).collect();
    assert_eq!(
        measures,
        &serde_json::json!(names),
        "the schema lists every measure"
    );
}

// ---- the figures ----

/// Alpha, bravo and charlie report on delta and echo in 2026-Q4. Alpha corrected its first
/// report; charlie also reported on another quarter, and slipped in a line about itself.
fn quarter_reports() -> Vec<ComplianceReport> {
    let mut charlie = report(
        "charlie",
        "2026-Q4",
        vec![ratio("delta", "13h", RequestsAnsweredInTime, 0, 1)],
    );
    charlie
        .observations
        .push(ratio("charlie", "13h", RequestsAnsweredInTime, 7, 7));
    vec![
        report(
            "alpha",
            "2026-Q4",
            vec![ratio("delta", "13h", RequestsAnsweredInTime, 1, 5)],
        ),
        report(
            "bravo",
            "2026-Q4",
            vec![
                ratio("delta", "13h", RequestsAnsweredInTime, 2, 2),
                durations("echo", "13f", 3, &[120, 3000, 300]),
                ratio("echo", "13c", TakedownsAnsweredInTime, 0, 1),
            ],
        ),
        report(
            "charlie",
            "2026-Q3",
            vec![ratio("delta", "13h", RequestsAnsweredInTime, 9, 9)],
        ),
        charlie,
        report(
            "alpha",
            "2026-Q4",
            vec![
                ratio("delta", "13h", RequestsAnsweredInTime, 3, 4),
                ratio("delta", "13h", RequestsAcknowledgedInTime, 4, 4),
                durations("echo", "13f", 3, &[600, 60]),
            ],
        ),
    ]
}

fn observers(list: &[&str]) -> std::collections::BTreeSet<PartyId> {
    list.iter().map(|p| party(p)).collect()
}

#[test]
fn figures_sum_each_counterparts_last_report_of_the_quarter() {
    let figures = aggregate(&quarter_reports(), q("2026-Q4"));
    let figure =
        |about: &str, norm: &str, measure, count, of, samples: &[u64], by: &[&str]| Figure {
            about: party(about),
            norm: norm.into(),
            measure,
            count,
            of,
            samples: samples.to_vec(),
            observers: observers(by),
        };
    assert_eq!(
        figures,
        vec![
            figure(
                "delta",
                "13h",
                RequestsAcknowledgedInTime,
                4,
                4,
                &[],
                &["alpha"]
            ),
            // alpha 3/4 (its first report's 1/5 replaced), bravo 2/2, charlie 0/1; charlie's
            // 9/9 of Q3 and its 7/7 about itself do not count.
            figure(
                "delta",
                "13h",
                RequestsAnsweredInTime,
                5,
                7,
                &[],
                &["alpha", "bravo", "charlie"]
            ),
            figure(
                "echo",
                "13c",
                TakedownsAnsweredInTime,
                0,
                1,
                &[],
                &["bravo"]
            ),
            figure(
                "echo",
                "13f",
                EmergencyAcknowledgementSecs,
                5,
                6,
                &[60, 120, 300, 600, 3000],
                &["alpha", "bravo"]
            ),
        ]
    );
    let emergency = &figures[3];
    assert_eq!((emergency.p50(), emergency.p90()), (Some(300), Some(3000)));
}

#[test]
fn no_figure_is_ever_about_a_party_from_its_own_report() {
    for f in aggregate(&quarter_reports(), q("2026-Q4")) {
        assert!(!f.observers.contains(&f.about), "{f:?}");
    }
}

#[test]
fn a_quarter_nobody_reported_on_has_no_figures() {
    assert!(aggregate(&quarter_reports(), q("2027-Q1")).is_empty());
}

#[test]
fn the_figures_of_the_other_quarter_come_from_its_own_report() {
    let figures = aggregate(&quarter_reports(), q("2026-Q3"));
    assert_eq!(figures.len(), 1);
    assert_eq!((figures[0].count, figures[0].of), (9, 9));
}

#[test]
fn percentiles_are_nearest_rank_values_of_the_samples() {
    // Ten samples 1..=10: the median is the 5th (⌈5⌉), the 90th percentile the 9th (⌈9⌉).
    let ten: Vec<u64> = (1..=10).collect();
    assert_eq!(nearest_rank(&ten, 50), Some(5));
    assert_eq!(nearest_rank(&ten, 90), Some(9));
    // Four samples: ⌈2⌉ = 2nd, ⌈3.6⌉ = 4th.
    assert_eq!(nearest_rank(&[10, 20, 30, 40], 50), Some(20));
    assert_eq!(nearest_rank(&[10, 20, 30, 40], 90), Some(40));
    // Three: ⌈1.5⌉ = 2nd, ⌈2.7⌉ = 3rd.
    assert_eq!(nearest_rank(&[7, 8, 100], 50), Some(8));
    assert_eq!(nearest_rank(&[7, 8, 100], 90), Some(100));
    assert_eq!(nearest_rank(&[42], 90), Some(42));
    assert_eq!(nearest_rank(&[], 50), None);
}
