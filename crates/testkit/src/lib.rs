//! Pacific's test kit (not published): the one place that sets up nodes on 127.0.0.1 for the
//! integration tests, `pacific demo` and the benchmarks.
//!
//! - [`setup`]: the building blocks, fallible (a command reports their errors rather than
//!   panicking): a data directory for a party ([`setup::create_party`]) or a lone node
//!   ([`setup::init_node`]), peers registered in a data directory ([`setup::add_peer`],
//!   [`setup::peer_each_other`]), and [`setup::Servers`], nodes serving until stopped together.
//! - [`test_node`]: [`TestNode`], one node with three users (admin, analyst, reader) in a
//!   temporary directory, serving until the test drops it.
//! - [`federation`]: [`FedNode`], a federated node with its own data directory, identity,
//!   policy and peers, started and stopped at will; [`federation::mesh`] and
//!   [`federation::alpha_and_bravo`] make the usual federations.
//!
//! The test helpers panic on failure, as tests want; the building blocks return
//! [`pacific_node::NodeError`].

pub mod federation;
pub mod setup;
pub mod test_node;

pub use federation::FedNode;
pub use setup::{Servers, Spec};
pub use test_node::TestNode;
