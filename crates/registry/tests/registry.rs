//! The registry's specification, as tests.
