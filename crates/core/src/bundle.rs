//! Reading STIX bundles (and TAXII envelopes) as a stream of objects, one at a time, so a
//! bundle of any size is read in bounded memory.
//!
//! Filled in by the STIX model work: see `read_objects`.
