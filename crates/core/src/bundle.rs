//! Reading STIX bundles (and TAXII envelopes) as a stream of objects, one at a time, so a
//! bundle of any size is read in bounded memory.
//!
//! The reader walks the top-level JSON object with a serde visitor. When it reaches the
//! `objects` array it deserializes one element, validates it as a [`StixObject`], hands the
//! result to the caller's sink and drops it before reading the next, so memory holds at most one
//! object (plus the reader's buffer) whatever the bundle's size. Objects that are valid JSON but
//! not valid STIX are reported to the sink and reading goes on; malformed JSON ends the read.

use std::fmt;
use std::io::{BufReader, Read};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::stix::{StixObject, ValidationError};

/// One element of a bundle's `objects` array, in array order.
#[derive(Clone, Debug, PartialEq)]
pub enum BundleItem {
    /// A valid STIX 2.1 object.
    Valid(StixObject),
    /// Valid JSON that is not a valid STIX object; `index` is its position in `objects`.
    Invalid {
        index: usize,
        error: ValidationError,
    },
}

/// What a completed read saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BundleSummary {
    /// The bundle's `id`; `None` for a TAXII envelope.
    pub bundle_id: Option<String>,
    /// Objects handed to the sink as [`BundleItem::Valid`].
    pub valid: u64,
    /// Objects handed to the sink as [`BundleItem::Invalid`].
    pub invalid: u64,
}

/// Why a read stopped before the end of the input.
#[derive(Debug, thiserror::Error)]
pub enum BundleError<E> {
    /// The input is not well-formed JSON (the error carries line and column).
    #[error("malformed JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// Well-formed JSON, but not a STIX bundle or TAXII envelope.
    #[error("not a STIX bundle or TAXII envelope: {0}")]
    NotABundle(String),
    /// The sink refused an item; reading stopped there.
    #[error("the consumer of the objects failed: {0}")]
    Sink(E),
}

/// Streams the objects of a STIX bundle (`{"type":"bundle","id":…,"objects":[…]}`) or a TAXII
/// envelope (`{"objects":[…],"more":…}`) from `reader` to `sink`, one at a time. Top-level keys
/// may come in any order; if `type` comes after `objects` and is wrong, the objects before it
/// have already reached the sink when [`BundleError::NotABundle`] is returned.
pub fn read_objects<R: Read, E>(
    reader: R,
    sink: impl FnMut(BundleItem) -> Result<(), E>,
) -> Result<BundleSummary, BundleError<E>> {
    // serde_json reads byte by byte from an `io::Read`; the buffer makes that cheap.
    let mut de = serde_json::Deserializer::from_reader(BufReader::new(reader));
    drive(&mut de, sink)
}

/// [`read_objects`] over bytes already in memory.
pub fn read_objects_from_slice<E>(
    bytes: &[u8],
    sink: impl FnMut(BundleItem) -> Result<(), E>,
) -> Result<BundleSummary, BundleError<E>> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    drive(&mut de, sink)
}

fn drive<'de, R, E, F>(
    de: &mut serde_json::Deserializer<R>,
    mut sink: F,
) -> Result<BundleSummary, BundleError<E>>
where
    R: serde_json::de::Read<'de>,
    F: FnMut(BundleItem) -> Result<(), E>,
{
    let mut state = State {
        sink: &mut sink,
        summary: BundleSummary::default(),
        next_index: 0,
        failure: None,
    };
    let outcome = TopLevel(&mut state).deserialize(&mut *de);
    // A failure recorded by the visitors explains the serde error they raised to stop the read.
    match (outcome, state.failure.take()) {
        (_, Some(Failure::Sink(e))) => Err(BundleError::Sink(e)),
        (_, Some(Failure::NotABundle(why))) => Err(BundleError::NotABundle(why)),
        (Err(e), None) => Err(BundleError::Json(e)),
        (Ok(()), None) => {
            de.end().map_err(BundleError::Json)?;
            Ok(state.summary)
        }
    }
}

enum Failure<E> {
    NotABundle(String),
    Sink(E),
}

struct State<'s, E, F> {
    sink: &'s mut F,
    summary: BundleSummary,
    next_index: usize,
    failure: Option<Failure<E>>,
}

impl<E, F: FnMut(BundleItem) -> Result<(), E>> State<'_, E, F> {
    /// Records why the input is not a bundle and returns the error that stops serde.
    fn not_a_bundle<DE: de::Error>(&mut self, why: String) -> DE {
        let err = DE::custom(&why);
        self.failure = Some(Failure::NotABundle(why));
        err
    }

    /// Validates one element of `objects` and hands it to the sink.
    fn element<DE: de::Error>(&mut self, value: Value) -> Result<(), DE> {
        let index = self.next_index;
        self.next_index += 1;
        let item = match StixObject::from_value(value) {
            Ok(object) => {
                self.summary.valid += 1;
                BundleItem::Valid(object)
            }
            Err(error) => {
                self.summary.invalid += 1;
                BundleItem::Invalid { index, error }
            }
        };
        (self.sink)(item).map_err(|e| {
            self.failure = Some(Failure::Sink(e));
            DE::custom("the sink refused an object")
        })
    }
}

/// Rejects every JSON kind a visitor does not expect, naming it; containers are not read.
macro_rules! reject_other_kinds {
    ($what:literal) => {
        fn visit_bool<DE: de::Error>(self, _: bool) -> Result<Self::Value, DE> {
            Err(self.0.not_a_bundle(format!("{} is a boolean", $what)))
        }
        fn visit_i64<DE: de::Error>(self, _: i64) -> Result<Self::Value, DE> {
            Err(self.0.not_a_bundle(format!("{} is a number", $what)))
        }
        fn visit_u64<DE: de::Error>(self, _: u64) -> Result<Self::Value, DE> {
            Err(self.0.not_a_bundle(format!("{} is a number", $what)))
        }
        fn visit_f64<DE: de::Error>(self, _: f64) -> Result<Self::Value, DE> {
            Err(self.0.not_a_bundle(format!("{} is a number", $what)))
        }
        fn visit_str<DE: de::Error>(self, _: &str) -> Result<Self::Value, DE> {
            Err(self.0.not_a_bundle(format!("{} is a string", $what)))
        }
        fn visit_unit<DE: de::Error>(self) -> Result<Self::Value, DE> {
            Err(self.0.not_a_bundle(format!("{} is null", $what)))
        }
    };
}

/// The top-level object: bundle or envelope.
struct TopLevel<'a, 's, E, F>(&'a mut State<'s, E, F>);

impl<'de, E, F: FnMut(BundleItem) -> Result<(), E>> DeserializeSeed<'de>
    for TopLevel<'_, '_, E, F>
{
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, E, F: FnMut(BundleItem) -> Result<(), E>> Visitor<'de> for TopLevel<'_, '_, E, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a STIX bundle or TAXII envelope object")
    }

    reject_other_kinds!("the top level");

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.0.not_a_bundle("the top level is an array".into()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.0;
        let mut recognised = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => match map.next_value::<Scalar>()? {
                    Scalar::Str(t) if t == "bundle" => recognised = true,
                    Scalar::Str(t) => {
                        return Err(state.not_a_bundle(format!("type is {t:?}, not \"bundle\"")));
                    }
                    Scalar::Other(kind) => {
                        return Err(state.not_a_bundle(format!("type is {kind}, not \"bundle\"")));
                    }
                },
                "id" => match map.next_value::<Scalar>()? {
                    Scalar::Str(id) => {
                        if crate::validate::check_identifier(&id, Some("bundle"), None, "id")
                            .is_err()
                        {
                            return Err(
                                state.not_a_bundle(format!("bundle id {id:?} is not bundle--UUID"))
                            );
                        }
                        state.summary.bundle_id = Some(id);
                    }
                    Scalar::Other(kind) => {
                        return Err(state.not_a_bundle(format!("bundle id is {kind}")));
                    }
                },
                "objects" => {
                    map.next_value_seed(Objects(&mut *state))?;
                    recognised = true;
                }
                // TAXII envelope properties.
                "more" | "next" => {
                    map.next_value::<IgnoredAny>()?;
                    recognised = true;
                }
                // Anything else (e.g. STIX 2.0's spec_version) is skipped unread.
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if recognised {
            Ok(())
        } else {
            Err(state.not_a_bundle("the object has no type \"bundle\", objects or more".into()))
        }
    }
}

/// The `objects` array, streamed element by element.
struct Objects<'a, 's, E, F>(&'a mut State<'s, E, F>);

impl<'de, E, F: FnMut(BundleItem) -> Result<(), E>> DeserializeSeed<'de> for Objects<'_, '_, E, F> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, E, F: FnMut(BundleItem) -> Result<(), E>> Visitor<'de> for Objects<'_, '_, E, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of STIX objects")
    }

    reject_other_kinds!("objects");

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self
            .0
            .not_a_bundle("objects is an object, not an array".into()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<Value>()? {
            self.0.element(value)?;
        }
        Ok(())
    }
}

/// A top-level `type` or `id`: a string, or the kind of whatever else it was (read and dropped
/// without being kept, so a huge wrong value costs no memory).
enum Scalar {
    Str(String),
    Other(&'static str),
}

impl<'de> de::Deserialize<'de> for Scalar {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<DE: de::Error>(self, v: &str) -> Result<Scalar, DE> {
                Ok(Scalar::Str(v.to_owned()))
            }
            fn visit_string<DE: de::Error>(self, v: String) -> Result<Scalar, DE> {
                Ok(Scalar::Str(v))
            }
            fn visit_bool<DE: de::Error>(self, _: bool) -> Result<Scalar, DE> {
                Ok(Scalar::Other("a boolean"))
            }
            fn visit_i64<DE: de::Error>(self, _: i64) -> Result<Scalar, DE> {
                Ok(Scalar::Other("a number"))
            }
            fn visit_u64<DE: de::Error>(self, _: u64) -> Result<Scalar, DE> {
                Ok(Scalar::Other("a number"))
            }
            fn visit_f64<DE: de::Error>(self, _: f64) -> Result<Scalar, DE> {
                Ok(Scalar::Other("a number"))
            }
            fn visit_unit<DE: de::Error>(self) -> Result<Scalar, DE> {
                Ok(Scalar::Other("null"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other("an array"))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other("an object"))
            }
        }
        d.deserialize_any(ScalarVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    const INDICATOR: &str = r#"{"type":"indicator","spec_version":"2.1","id":"indicator--f28127b4-7149-467b-a747-6ab3dba5e948","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","pattern":"[url:value = 'https://example.org/']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}"#;
    const BAD_MALWARE: &str = r#"{"type":"malware","spec_version":"2.1","id":"malware--8e7ae54a-adc0-40a3-a6c8-f57e578fe7f7","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"x"}"#;
    const IPV4: &str = r#"{"type":"ipv4-addr","id":"ipv4-addr--74b7a90c-688d-4e0c-b592-b5a2882aeb4e","value":"198.51.100.7"}"#;

    fn collect(text: &str) -> Result<(BundleSummary, Vec<BundleItem>), BundleError<Infallible>> {
        let mut items = Vec::new();
        let summary = read_objects(text.as_bytes(), |item| {
            items.push(item);
            Ok::<_, Infallible>(())
        })?;
        Ok((summary, items))
    }

    #[test]
    fn mixed_valid_and_invalid_objects() {
        let text = format!(
            r#"{{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{INDICATOR},{BAD_MALWARE},42,{IPV4}]}}"#
        );
        let (summary, items) = collect(&text).expect("reads");
        assert_eq!(
            summary.bundle_id.as_deref(),
            Some("bundle--5d0092c5-5f74-4287-9642-33f4c354e56d")
        );
        assert_eq!((summary.valid, summary.invalid), (2, 2));
        assert!(matches!(&items[0], BundleItem::Valid(o) if o.type_name() == "indicator"));
        match &items[1] {
            BundleItem::Invalid { index: 1, error } => assert_eq!(error.property, "is_family"),
            other => panic!("expected invalid malware, got {other:?}"),
        }
        assert!(matches!(&items[2], BundleItem::Invalid { index: 2, .. }));
        assert!(matches!(&items[3], BundleItem::Valid(o) if o.type_name() == "ipv4-addr"));
        // The in-memory reader agrees.
        let summary2 =
            read_objects_from_slice(text.as_bytes(), |_| Ok::<_, Infallible>(())).expect("reads");
        assert_eq!(summary, summary2);
    }

    #[test]
    fn taxii_envelope_and_any_key_order() {
        let (summary, items) = collect(&format!(
            r#"{{"more":false,"objects":[{IPV4}],"next":"abc"}}"#
        ))
        .expect("reads");
        assert_eq!(summary.bundle_id, None);
        assert_eq!(items.len(), 1);
        let (summary, _) = collect(&format!(
            r#"{{"objects":[{INDICATOR}],"id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","type":"bundle"}}"#
        ))
        .expect("reads");
        assert_eq!(summary.valid, 1);
        let (summary, _) =
            collect(r#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"}"#)
                .expect("empty bundle");
        assert_eq!(
            summary,
            BundleSummary {
                bundle_id: summary.bundle_id.clone(),
                valid: 0,
                invalid: 0
            }
        );
    }

    #[test]
    fn what_is_not_a_bundle() {
        for text in [
            "[]",
            "42",
            "\"bundle\"",
            "null",
            "{}",
            r#"{"type":"indicator","objects":[]}"#,
            r#"{"type":["bundle"],"objects":[]}"#,
            r#"{"type":"bundle","id":"indicator--5d0092c5-5f74-4287-9642-33f4c354e56d"}"#,
            r#"{"objects":{"a":1}}"#,
            r#"{"objects":"none"}"#,
        ] {
            match collect(text) {
                Err(BundleError::NotABundle(_)) => {}
                other => panic!("{text}: expected NotABundle, got {other:?}"),
            }
        }
    }

    #[test]
    fn malformed_json_is_fatal_with_a_position() {
        let text = format!("{{\"type\":\"bundle\",\n\"objects\":[{IPV4},\n{{\"type\":\"ipv4");
        match collect(&text) {
            Err(BundleError::Json(e)) => assert_eq!(e.line(), 3),
            other => panic!("expected a JSON error, got {other:?}"),
        }
        for text in ["", "{", r#"{"objects":[]} trailing"#, r#"{"objects":[1,]}"#] {
            assert!(
                matches!(collect(text), Err(BundleError::Json(_))),
                "{text:?}"
            );
        }
    }

    #[test]
    fn a_sink_error_stops_the_read() {
        let text = format!(r#"{{"objects":[{IPV4},{IPV4},{IPV4}]}}"#);
        let mut seen = 0;
        let result = read_objects(text.as_bytes(), |_| {
            seen += 1;
            if seen == 2 { Err("full") } else { Ok(()) }
        });
        assert!(matches!(result, Err(BundleError::Sink("full"))));
        assert_eq!(seen, 2);
    }

    /// Produces a bundle of `count` ipv4-addr objects on the fly, never holding more than one.
    struct Generated {
        count: u64,
        next: u64,
        chunk: Vec<u8>,
        pos: usize,
        done: bool,
    }

    impl Generated {
        fn new(count: u64) -> Self {
            let head = br#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":["#.to_vec();
            Self {
                count,
                next: 0,
                chunk: head,
                pos: 0,
                done: false,
            }
        }
    }

    impl Read for Generated {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.pos == self.chunk.len() {
                if self.done {
                    return Ok(0);
                }
                self.pos = 0;
                self.chunk = if self.next < self.count {
                    let n = self.next;
                    self.next += 1;
                    let comma = if n > 0 { "," } else { "" };
                    format!(
                        r#"{comma}{{"type":"ipv4-addr","id":"ipv4-addr--00000000-0000-4000-8000-{n:012x}","value":"10.{}.{}.{}"}}"#,
                        (n >> 16) & 255,
                        (n >> 8) & 255,
                        n & 255
                    )
                    .into_bytes()
                } else {
                    self.done = true;
                    b"]}".to_vec()
                };
            }
            let len = buf.len().min(self.chunk.len() - self.pos);
            buf[..len].copy_from_slice(&self.chunk[self.pos..self.pos + len]);
            self.pos += len;
            Ok(len)
        }
    }

    #[test]
    fn streams_a_large_generated_bundle() {
        let mut count = 0u64;
        let summary = read_objects(Generated::new(200_000), |item| {
            if matches!(item, BundleItem::Valid(_)) {
                count += 1;
            }
            Ok::<_, Infallible>(())
        })
        .expect("reads");
        assert_eq!(
            (summary.valid, summary.invalid, count),
            (200_000, 0, 200_000)
        );
    }
}
