//! Traffic Light Protocol markings: TLP 2.0 levels and the STIX 2.1 marking-definition ids
//! that carry them (TLP 1.0 ids from STIX 2.1 §7.2.1.4, TLP 2.0 ids from the OASIS TLP 2.0
//! marking extension).

/// A TLP 2.0 level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

/// STIX 2.1 TLP 1.0 marking definitions (spec §7.2.1.4).
pub const TLP1_WHITE: &str = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9";
pub const TLP1_GREEN: &str = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";
pub const TLP1_AMBER: &str = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82";
pub const TLP1_RED: &str = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed";

/// TLP 2.0 marking definitions.
pub const TLP2_CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
pub const TLP2_GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
pub const TLP2_AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
pub const TLP2_AMBER_STRICT: &str = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
pub const TLP2_RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

impl Tlp {
    /// The level a marking-definition id stands for (TLP 1.0 WHITE reads as CLEAR).
    pub fn from_marking_id(id: &str) -> Option<Tlp> {
        Some(match id {
            TLP1_WHITE | TLP2_CLEAR => Tlp::Clear,
            TLP1_GREEN | TLP2_GREEN => Tlp::Green,
            TLP1_AMBER | TLP2_AMBER => Tlp::Amber,
            TLP2_AMBER_STRICT => Tlp::AmberStrict,
            TLP1_RED | TLP2_RED => Tlp::Red,
            _ => return None,
        })
    }

    /// The TLP 2.0 marking-definition id of this level.
    pub fn marking_id(self) -> &'static str {
        match self {
            Tlp::Clear => TLP2_CLEAR,
            Tlp::Green => TLP2_GREEN,
            Tlp::Amber => TLP2_AMBER,
            Tlp::AmberStrict => TLP2_AMBER_STRICT,
            Tlp::Red => TLP2_RED,
        }
    }

    /// The label as TLP 2.0 writes it.
    pub fn label(self) -> &'static str {
        match self {
            Tlp::Clear => "TLP:CLEAR",
            Tlp::Green => "TLP:GREEN",
            Tlp::Amber => "TLP:AMBER",
            Tlp::AmberStrict => "TLP:AMBER+STRICT",
            Tlp::Red => "TLP:RED",
        }
    }

    /// A level as a user writes it: `clear` (or `white`), `green`, `amber`, `amber+strict`,
    /// `red`, in any case, with or without `TLP:`.
    pub fn parse(text: &str) -> Result<Tlp, String> {
        let t = text.trim().to_ascii_lowercase();
        let t = t.strip_prefix("tlp:").unwrap_or(&t);
        Ok(match t {
            "clear" | "white" => Tlp::Clear,
            "green" => Tlp::Green,
            "amber" => Tlp::Amber,
            "amber+strict" | "amber-strict" => Tlp::AmberStrict,
            "red" => Tlp::Red,
            _ => {
                return Err(format!(
                    "{text:?} is no TLP level: clear, green, amber, amber+strict or red"
                ));
            }
        })
    }

    /// The most restrictive TLP level among an object's marking refs, if any is a TLP marking.
    pub fn strictest<'a>(marking_refs: impl IntoIterator<Item = &'a str>) -> Option<Tlp> {
        marking_refs
            .into_iter()
            .filter_map(Tlp::from_marking_id)
            .max()
    }
}
