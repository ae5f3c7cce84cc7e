//! The norms catalogue: the eleven norms of A/70/174 paragraph 13, in order, each found again
//! by its id however it is written, with the measures and parameters the governance issue
//! gives them.

use pacific_gov::norms::{Measure, MeasureKind, canonical_id, catalogue, norm};

#[test]
fn the_catalogue_holds_eleven_norms_13a_to_13k_in_order() {
    let ids: Vec<&str> = catalogue().iter().map(|n| n.id).collect();
    let expected: Vec<String> = ('a'..='k').map(|c| format!("13{c}")).collect();
    assert_eq!(ids, expected);
}

#[test]
fn every_norm_has_a_unique_id_a_title_and_a_summary() {
    let mut ids: Vec<&str> = catalogue().iter().map(|n| n.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), catalogue().len());
    for n in catalogue() {
        assert!(!n.title.trim().is_empty(), "{} has no title", n.id);
        assert!(n.summary.len() > 40, "{} has no real summary", n.id);
    }
}

#[test]
fn every_id_finds_its_own_norm_again() {
    for n in catalogue() {
        assert_eq!(norm(n.id).map(|found| found.id), Some(n.id));
    }
}

#[test]
fn an_id_may_be_written_with_brackets_capitals_or_a_space() {
    for spelling in ["13h", "13(h)", "13H", "13(H)", "13 (h)", " 13h "] {
        assert_eq!(norm(spelling).map(|n| n.id), Some("13h"), "{spelling:?}");
    }
    assert_eq!(canonical_id("13(C)").as_deref(), Some("13c"));
}

#[test]
fn what_is_not_a_norm_of_paragraph_13_is_not_found() {
    for spelling in ["", "13", "13l", "13(z)", "14a", "13ab", "13(a", "13a)", "h"] {
        assert!(norm(spelling).is_none(), "{spelling:?} found a norm");
    }
}

#[test]
fn each_measure_belongs_to_the_norms_the_issue_names_and_no_other() {
    let measured: Vec<(&str, &[Measure])> = catalogue()
        .iter()
        .filter(|n| !n.measures.is_empty())
        .map(|n| (n.id, n.measures))
        .collect();
    use Measure::*;
    assert_eq!(
        measured,
        vec![
            ("13c", &[TakedownsAnsweredInTime][..]),
            ("13d", &[IndicatorsShared, SightingsReturned][..]),
            (
                "13f",
                &[EmergencyAcknowledgementSecs, HotlinePingsAnswered][..]
            ),
            (
                "13g",
                &[EmergencyAcknowledgementSecs, HotlinePingsAnswered][..]
            ),
            (
                "13h",
                &[RequestsAcknowledgedInTime, RequestsAnsweredInTime][..]
            ),
        ]
    );
    let orphans: Vec<Measure> = Measure::ALL
        .into_iter()
        .filter(|m| !catalogue().iter().any(|n| n.measures(*m)))
        .collect();
    assert!(orphans.is_empty(), "measures of no norm: {orphans:?}");
}

#[test]
fn the_acknowledgement_deadlines_shape_13h_and_the_hotline_shapes_13f_and_13g() {
    let params = |id: &str| {
        norm(id)
            .unwrap()
            .parameters
            .iter()
            .map(|p| p.key())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        params("13h"),
        vec![
            "coop.deadlines.acknowledgement.emergency_secs",
            "coop.deadlines.acknowledgement.urgent_secs",
            "coop.deadlines.acknowledgement.routine_secs",
        ]
    );
    for id in ["13f", "13g"] {
        assert_eq!(
            params(id),
            vec![
                "coop.hotline.first_resend_secs",
                "coop.hotline.ping_timeout_secs"
            ]
        );
    }
    for id in ["13a", "13b", "13c", "13d", "13e", "13i", "13j", "13k"] {
        assert!(params(id).is_empty(), "{id} has parameters");
    }
}

#[test]
fn a_measure_reads_back_from_its_name_and_serialises_as_it() {
    for m in Measure::ALL {
        assert_eq!(m.as_str().parse::<Measure>(), Ok(m));
        assert_eq!(
            serde_json::to_value(m).unwrap(),
            serde_json::Value::String(m.as_str().to_owned())
        );
        assert!(!m.description().is_empty());
    }
    assert!("requests-answered".parse::<Measure>().is_err());
}

#[test]
fn only_the_emergency_acknowledgement_time_is_a_duration_better_shorter() {
    for m in Measure::ALL {
        let duration = m == Measure::EmergencyAcknowledgementSecs;
        assert_eq!(m.kind() == MeasureKind::DurationSecs, duration, "{m}");
        assert_eq!(m.bigger_is_better(), !duration, "{m}");
    }
}
