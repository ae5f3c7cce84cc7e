//! Pacific's governance domain: how a federation's members decide together (issue 13).
//!
//! - [`charter`]: the signed document that founds a federation — its founding members and its
//!   constitution; its hash is the federation id.
//! - [`rules`]: a voting rule — majority (quorum and threshold as exact fractions) or consensus
//!   (one binding "no" blocks) — and which stakeholder types vote bindingly (by default states,
//!   one vote each whatever their size) and which advisorily (all others).
//! - [`proposal`]: the kinds of proposal, what each changes, and the acts members make.
//! - [`tally`]: which votes count, which are refused and why, the binding and advisory counts
//!   side by side, and the outcome.
//! - [`state`]: the federation every node rebuilds by replaying the acts it holds: register,
//!   proposals with their versions and tallies, adopted norms and parameters, the roster.
//! - [`params`]: federation parameters and the rule that a node may only tighten them.
//! - [`wire`]: an act as the STIX object nodes exchange.
//! - [`norms`]: the catalogue (UN GGE 2015 §13 a–k) with each norm's measures and parameters.
//! - [`report`]: compliance reports — each party's observations of others, never of itself —
//!   and the figures aggregated from them.
//!
//! **Architecture Invariant:** this crate does no I/O and reads no clock: times are passed in.
//! It depends on `pacific-core` only. Signatures are the caller's business: a charter's are
//! checked by a function the caller gives, and an act reaching the replay carries the origin
//! its node verified, so "an act for another member" is refused by comparing the two.

pub mod charter;
pub mod diff;
pub mod norms;
pub mod params;
pub mod proposal;
pub mod report;
pub mod rules;
pub mod state;
pub mod tally;
pub mod wire;

pub use rules::{Decision, Fraction, VotingRule};
pub use tally::{
    Choice, Counts, Member, MemberStatus, Outcome, Period, Refusal, Tally, Vote, tally,
};
