//! Fixed inputs the tests share.

use pacific_core::Timestamp;
use pacific_core::policy::PartyId;
use pacific_registry::{Claim, ClaimDraft, Contact, Resource, Resources, Role};

/// A time, `2026-MM-DDT00:00:00Z`-style, given whole.
pub fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

/// 2026-03-01T08:00:00Z.
pub fn t0() -> Timestamp {
    t("2026-03-01T08:00:00Z")
}

/// The n-th fixed UUID.
pub fn uuid(n: u32) -> String {
    format!("3f8e2a1c-6b4d-4e7f-8a9b-0c1d2e3f{n:04x}")
}

/// The STIX identity of a party (one per party name).
pub fn identity(party: &str) -> String {
    let n: u32 = party.bytes().map(u32::from).sum();
    format!("identity--0b1c2d3e-4f50-4a61-8b72-c3d4e5f6{n:04x}")
}

pub fn contact() -> Contact {
    Contact {
        name: "CERT-XA duty desk".into(),
        email: Some("duty@cert.example.xa".into()),
        phone: Some("+999 555 0100".into()),
    }
}

pub fn resources(list: &[&str]) -> Resources {
    list.iter()
        .map(|s| s.parse::<Resource>().unwrap())
        .collect()
}

/// A draft by `party` in `role` over `list`, valid from 2026-01-01.
pub fn draft(party: &str, role: Role, list: &[&str]) -> ClaimDraft {
    ClaimDraft {
        party: PartyId::new(party),
        party_identity: identity(party),
        role,
        resources: resources(list),
        contact: contact(),
        valid_from: t("2026-01-01T00:00:00Z"),
        valid_until: None,
        evidence: Vec::new(),
    }
}

/// The claim `n` by `party` in `role` over `list`, made at t0.
pub fn claim(n: u32, party: &str, role: Role, list: &[&str]) -> Claim {
    draft(party, role, list)
        .into_claim(&uuid(n), &t0())
        .unwrap_or_else(|e| panic!("claim {n}: {e}"))
}
