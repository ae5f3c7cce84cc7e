//! The index snapshot's reader (`<data>/match-index.snap`, read by `pacific match` and the node
//! at start): `Index::decode` over any bytes gives an index or a `DecodeError`, never a panic,
//! and an index it gives matches events and is written and read back without error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pacific_match::codec::{Decoder, Encoder};
use pacific_match::{Event, Index, Kind, Observable};

fuzz_target!(|data: &[u8]| {
    let Ok(index) = Index::decode(&mut Decoder::new(data)) else {
        return;
    };
    let event = Event {
        line: 1,
        time: None,
        observables: vec![
            Observable::new(Kind::Ip, "198.51.100.7"),
            Observable::new(Kind::Ip, "2001:db8::1"),
            Observable::new(Kind::Domain, "a.b.evil.example"),
            Observable::new(Kind::Url, "http://evil.example/x"),
            Observable::new(Kind::Email, "mallory@evil.example"),
            Observable::new(Kind::Hash, "d41d8cd98f00b204e9800998ecf8427e"),
        ],
    };
    for m in index.match_event(&event, 1_772_352_000_000_000) {
        assert!(m.observable < event.observables.len());
    }
    let mut e = Encoder::default();
    index.encode(&mut e);
    let back = Index::decode(&mut Decoder::new(&e.buf)).expect("what encode writes decodes");
    assert_eq!(back.len(), index.len());
});
