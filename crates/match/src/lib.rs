//! Pacific's matching engine: the node's active STIX indicators compiled into an index, and
//! streams of events (JSON lines, Zeek logs, plain text; gzip or not) matched against it.
//!
//! - [`pattern`] (from `pacific-core`, which validates patterns at every entry) parses the STIX
//!   2.1 patterning language into a syntax tree, with typed errors.
//! - [`compile`] decides what of a pattern the engine evaluates and says why not for the rest.
//! - [`index`] holds the compiled indicators (hash maps of exact values, prefix tries of CIDRs,
//!   domain suffixes, per-indicator conjunct tracking), updated incrementally
//!   ([`Index::upsert`], [`Index::remove`]) while other threads match ([`SharedIndex`]).
//! - [`input`] turns input lines into [`Event`]s of typed [`Observable`]s, counting and
//!   reporting malformed lines without stopping.
//!
//! A typical use: `Index::build(jsons)` (or `upsert` each indicator) → look at the
//! [`CompileReport`] → `input::read_events(reader, &options, |event| index.match_event(event,
//! now))`. Sightings and statistics belong to the callers; [`Match`] names the indicator and
//! the observable that matched, and [`Event::line`] the input line.
//!
//! **Architecture Invariant:** this crate does no I/O beyond reading the `std::io::Read` it is
//! given, reads no clock (the caller passes "now"), and depends on `pacific-core` only — never
//! on `store` or `node`. Loading indicators from the store is the caller's business.
//!
//! **Architecture Invariant:** nothing here panics on outside input: patterns, indicators and
//! input lines of any content become typed errors or counted malformed lines.

pub mod codec;
pub mod compile;
pub mod index;
pub mod input;
pub mod observable;
mod prefilter;
pub use pacific_core::pattern;

pub use compile::Unsupported;
pub use index::{
    CompileError, CompileReport, Index, Indicator, IndicatorDetails, IndicatorId, Match, Matcher,
    Rejected, SharedIndex, Upserted, Validity, Window,
};
pub use input::{
    Field, FieldMap, Format, InputOptions, InputStats, Interrupt, LineError, Stopped, read_events,
};
pub use observable::{Event, Kind, Observable};
pub use pattern::PatternError;
