//! Pacific's governance domain: how a federation's members decide together (issue 13). This
//! first part holds the constitution's voting rules and the **tally**: a pure function of the
//! members' register, the voting period and the votes, so every node computes the same result
//! from the same set of votes whatever order they arrived in.
//!
//! - [`rules`]: a voting rule — majority (quorum and threshold as exact fractions) or consensus
//!   (one binding "no" blocks) — and which stakeholder types vote bindingly (by default states,
//!   one vote each whatever their size) and which advisorily (all others).
//! - [`tally`]: which votes count, which are refused and why, the binding and advisory counts
//!   side by side, and the outcome.
//!
//! **Architecture Invariant:** this crate does no I/O and reads no clock: times are passed in.
//! It depends on `pacific-core` only. Signatures are the caller's business: a [`tally::Vote`]
//! reaching the tally has been verified as its voter's own act, so "a vote for another member" is
//! refused before it gets here.

pub mod norms;
pub mod report;
pub mod rules;
pub mod tally;

pub use rules::{Decision, Fraction, VotingRule};
pub use tally::{
    Choice, Counts, Member, MemberStatus, Outcome, Period, Refusal, Tally, Vote, tally,
};
