//! Every integration test of this crate, in one test binary.

mod federation;
mod norms;
mod report;
mod tally;
