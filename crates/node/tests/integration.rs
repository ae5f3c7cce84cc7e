//! Every integration test of this crate, in one test binary: one link of the crate and its
//! dependencies instead of one per file, which keeps a clean build small on disk and quick
//! to link. Each file below is a module; nextest still runs every test in its own process.

mod architecture;
mod authorisation;
mod coop_api;
mod coop_client;
mod cosigning;
mod dashboard;
mod data_dir;
mod federation_export;
mod federation_nodes;
mod federation_peers_live;
mod federation_props;
mod federation_replay;
mod golden;
mod gov_api;
mod idle;
mod limits;
mod log_api;
mod matching_api;
mod policy_log;
mod receipts_log;
mod registry_api;
mod revocation;
mod taxii_api;
mod tls;
mod witness_peers;
