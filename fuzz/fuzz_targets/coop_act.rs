//! Cooperation acts (`x-pacific-coop-event` objects) and record states (`x-pacific-assistance-
//! request`, `-consultation`, `-dispute`, `-hotline-contact`, `-hotline-ping`) as other
//! parties' nodes publish them. Each line of the input is one STIX object: acts are read by
//! `wire::from_stix` and must write back to the same act (`to_stix`); states are read by
//! `StixRecord::from_stix` and must write back to the same record. Then the acts of the first
//! act's record type are replayed as the node rebuilds a record (`wire::replay_acts`: every
//! act re-checked with `Admissible`), each published by the party its first event names, and a
//! rebuilt record's STIX form must be valid and read back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pacific_coop::consultation::Consultation;
use pacific_coop::dispute::Dispute;
use pacific_coop::hotline::{HotlineContact, HotlinePing};
use pacific_coop::request::AssistanceRequest;
use pacific_coop::wire::{self, Act, Admissible, HeldAct, from_stix, replay_acts, to_stix};
use pacific_coop::{Audience, Event, StixRecord};
use pacific_core::StixObject;
use pacific_core::policy::PartyId;

fn record_round_trip<R: StixRecord + PartialEq + std::fmt::Debug>(object: &StixObject) {
    let Ok(record) = R::from_stix(object) else {
        return;
    };
    let _ = (record.meta(), record.audience());
    if let Ok(again) = record.to_stix() {
        assert_eq!(R::from_stix(&again).ok().as_ref(), Some(&record));
    }
}

fn replay<A>(acts: Vec<(String, Vec<Event<A::Body>>)>)
where
    A: Admissible + StixRecord + PartialEq + std::fmt::Debug,
    A::Body: PartialEq + std::fmt::Debug,
{
    let mut held: Vec<HeldAct<A::Body>> = acts
        .into_iter()
        .map(|(id, events)| HeldAct {
            id,
            origin: events
                .first()
                .and_then(|e| e.by.clone())
                .unwrap_or_else(|| PartyId::from("alpha")),
            events,
        })
        .collect();
    let out = replay_acts::<A>(&mut held);
    for (_, why) in &out.refused {
        let _ = why.to_string();
    }
    if let Some(record) = out.record {
        let _ = record.audience();
        let object = record
            .to_stix()
            .unwrap_or_else(|e| panic!("a rebuilt record has no valid STIX form: {e}"));
        let again = A::from_stix(&object).expect("a record's STIX form reads back");
        assert_eq!(again, record);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(text) = pacific_fuzz::text(data) else {
        return;
    };
    let mut published = Vec::new();
    for line in text.lines().take(8) {
        let Ok(object) = StixObject::from_json(line) else {
            continue;
        };
        record_round_trip::<AssistanceRequest>(&object);
        record_round_trip::<Consultation>(&object);
        record_round_trip::<Dispute>(&object);
        record_round_trip::<HotlineContact>(&object);
        record_round_trip::<HotlinePing>(&object);
        let Ok(p) = from_stix(&object) else {
            continue;
        };
        let uuid = p.id.strip_prefix("x-pacific-coop-event--").unwrap_or(&p.id);
        for audience in [
            Audience::Federation,
            Audience::Only([PartyId::from("alpha")].into()),
        ] {
            let object = to_stix(uuid, &p.act, &audience, None, &p.modified)
                .unwrap_or_else(|e| panic!("an act read from STIX does not write back: {e}"));
            let again = from_stix(&object).expect("an act's STIX form reads back");
            assert_eq!(
                (&again.record, &again.at, &again.act),
                (&p.record, &p.at, &p.act)
            );
        }
        published.push(p);
    }
    let Some(first) = published.first() else {
        return;
    };
    macro_rules! replay_as {
        ($variant:ident, $record:ty) => {{
            let acts = published
                .iter()
                .filter_map(|p| match &p.act {
                    Act::$variant(e) => Some((p.id.clone(), e.clone())),
                    _ => None,
                })
                .collect();
            replay::<$record>(acts)
        }};
    }
    match &first.act {
        Act::Request(_) => replay_as!(Request, AssistanceRequest),
        Act::Dispute(_) => replay_as!(Dispute, Dispute),
        Act::Contact(_) => replay_as!(Contact, HotlineContact),
        Act::Consultation(_) => replay_as!(Consultation, Consultation),
        Act::Ping(_) => replay_as!(Ping, HotlinePing),
    }
    let _ = wire::event_schema();
});
