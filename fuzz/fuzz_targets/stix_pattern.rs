//! A STIX pattern (an indicator's `pattern`, from any producer or peer): parsed by
//! `pattern::parse`, compiled by `compile::compile`, then put in an index and matched the way
//! the matching service does. The observables of the match are the values the text scanner
//! finds in the pattern itself, so compiled literals meet events that hold them. Input that
//! starts with `{` is also read as a whole indicator (`Index::upsert_json`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pacific_match::input::text_line;
use pacific_match::{CompileReport, Event, Index, Indicator, compile, pattern};

const ID: &str = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";

fn indicator(pattern: &str, modified: i64, revoked: bool) -> Indicator {
    Indicator {
        id: ID.into(),
        modified,
        pattern: pattern.into(),
        pattern_type: "stix".into(),
        valid_from: None,
        valid_until: None,
        revoked,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(text) = pacific_fuzz::text(data) else {
        return;
    };
    let compiled = pattern::parse(text).map(|p| compile::compile(&p));
    if let Err(e) = &compiled {
        let _ = e.to_string();
    }
    let mut index = Index::new();
    let upserted = index.upsert(&indicator(text, 1, false));
    assert_eq!(
        upserted.is_ok(),
        matches!(compiled, Ok(Ok(_))),
        "the index and the compiler disagree on {text:?}: {upserted:?}"
    );
    let mut observables = Vec::new();
    text_line(data, &mut observables);
    let event = Event {
        line: 1,
        time: Some(0),
        observables,
    };
    let matches: Vec<_> = index.match_event(&event, 0).collect();
    for m in &matches {
        assert!(m.observable < event.observables.len());
    }
    if upserted.is_err() {
        assert!(
            matches.is_empty(),
            "an indicator that did not compile matched"
        );
    }
    let _ = index.heap_bytes();
    // A newer version replaces it, a revoked one takes it out: then nothing matches.
    let _ = index.upsert(&indicator(text, 2, false));
    assert!(matches!(
        index.upsert(&indicator(text, 3, true)),
        Ok(pacific_match::Upserted::Revoked)
    ));
    assert!(index.is_empty());
    assert_eq!(index.match_event(&event, 0).count(), 0);
    let _ = index.upsert(&indicator(text, 4, false));
    index.forget(ID);
    assert!(index.is_empty());

    if text.starts_with('{') {
        let mut report = CompileReport::default();
        let mut index = Index::new();
        let _ = index.upsert_json(text, &mut report);
        let _ = report.to_string();
        let _ = index.match_event(&event, 0).count();
    }
});
