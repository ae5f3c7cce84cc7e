//! Every integration test of this crate, in one test binary.

mod norms;
mod report;
mod tally;
