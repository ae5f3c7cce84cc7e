//! Every integration test of this crate, in one test binary: one link of the crate and its
//! dependencies instead of one per file, which keeps a clean build small on disk and quick
//! to link. Each file below is a module; nextest still runs every test in its own process.

mod attack_ics;
mod default_tlp;
mod fuzz_regressions;
mod golden;
mod parser_fuzz;
mod policy_config;
mod policy_gate;
mod policy_props;
mod sample_bundle;
mod validation_props;
