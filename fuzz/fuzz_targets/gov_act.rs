//! Governance input from outside: a charter file (TOML, as `pacific federation sign` reads
//! what another founder sends) and governance acts (`x-pacific-gov-act` objects) and
//! compliance reports (`report` objects of the compliance extension) as other members' nodes
//! publish them. The input's first line chooses: `charter` then the rest is a charter, which
//! must write back to the same charter with the same federation id; otherwise each line is one
//! STIX object: acts read by `wire::from_stix` must write back to the same act, reports read by
//! `ComplianceReport::from_stix` must write back to the same report, and the acts are then
//! replayed on a fixed charter (each published by the party it names, or another) at two
//! times, the second after every act: the replay must not panic and must give the same
//! federation whatever the order of the acts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pacific_core::policy::PartyId;
use pacific_core::{StixObject, Timestamp};
use pacific_gov::charter::Charter;
use pacific_gov::report::ComplianceReport;
use pacific_gov::state::{HeldAct, replay};
use pacific_gov::wire::{from_stix, to_stix};

const CHARTER: &str = r#"
name = "Fuzz federation"
founded = "2026-01-01T00:00:00Z"
[constitution]
deliberation_secs = 60
voting_secs = 60
[[members]]
party = "alpha"
name = "Alpha"
stakeholder = "state"
jurisdiction = "XA"
key = "0000000000000000000000000000000000000000000000000000000000000001"
url = "http://127.0.0.1:1"
[[members]]
party = "bravo"
name = "Bravo"
stakeholder = "company"
key = "0000000000000000000000000000000000000000000000000000000000000002"
url = "http://127.0.0.1:2"
"#;

fuzz_target!(|data: &[u8]| {
    let Some(text) = pacific_fuzz::text(data) else {
        return;
    };
    if let Some(charter) = text.strip_prefix("charter\n") {
        if let Ok(c) = Charter::from_toml(charter) {
            let again = Charter::from_toml(&c.to_toml()).expect("a charter writes back");
            assert_eq!(again, c);
            assert_eq!(again.federation_id(), c.federation_id());
            let _ = c.verify(|_, _| false);
        }
        return;
    }
    let charter = Charter::from_toml(CHARTER).expect("the fuzz charter is valid");
    let mut held = Vec::new();
    for (n, line) in text.lines().take(12).enumerate() {
        let Ok(object) = StixObject::from_json(line) else {
            continue;
        };
        for origin in ["alpha", "bravo"] {
            let origin = PartyId::from(origin);
            if let Ok(r) = ComplianceReport::from_stix(&object, &origin) {
                let created = object.created().cloned().unwrap_or_else(|| Timestamp::from_unix_micros(0));
                let again = r.to_stix("7c1f6f0e-7d0a-4c1e-9a51-2f1b7c3d9e20", &created).expect("a report writes back");
                assert_eq!(ComplianceReport::from_stix(&again, &origin).ok().as_ref(), Some(&r));
            }
        }
        let Ok(p) = from_stix(&object) else {
            continue;
        };
        let uuid = p.id.strip_prefix("x-pacific-gov-act--").unwrap_or(&p.id);
        if let Ok(again) = to_stix(uuid, &p.federation, &p.by, &p.act, &p.at) {
            let back = from_stix(&again).expect("an act's STIX form reads back");
            assert_eq!((&back.by, &back.at, &back.act), (&p.by, &p.at, &p.act));
        }
        let origin = if n % 3 == 2 { PartyId::from("alpha") } else { p.by.clone() };
        held.push(p.held(origin));
    }
    if held.is_empty() {
        return;
    }
    let end = held.iter().map(|h| h.at.clone()).max().expect("not empty");
    for now in [Timestamp::from_unix_micros(1_767_225_600_000_000), end] {
        let forward = replay(&charter, &held, &now);
        let mut reversed: Vec<HeldAct> = held.clone();
        reversed.reverse();
        assert_eq!(replay(&charter, &reversed, &now), forward, "the order of arrival matters");
        let _ = serde_json::to_string(&forward).expect("a federation serialises");
    }
});
