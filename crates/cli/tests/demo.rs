//! `pacific demo --exit-after-scenario`: the four parties federate on free loopback ports, the
//! threat-intel scenario crosses borders, and the cooperation scenario runs through the nodes'
//! `/coop` API: a preservation request answered, an emergency on the power grid acknowledged
//! through Bravo's hotline after re-sends, and a dispute taken to mediation by Delta IO.

use std::net::{Ipv4Addr, TcpListener};
use std::process::Command;

/// A base port whose next three ports are free too.
fn four_free_ports() -> u16 {
    for _ in 0..200 {
        let first = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let base = first.local_addr().unwrap().port();
        if base > u16::MAX - 4 {
            continue;
        }
        let rest: Vec<_> = (1..4)
            .map(|i| TcpListener::bind((Ipv4Addr::LOCALHOST, base + i)))
            .collect();
        if rest.iter().all(Result::is_ok) {
            return base;
        }
    }
    panic!("no four consecutive free ports on 127.0.0.1");
}

#[test]
fn the_demo_plays_the_threat_intel_and_the_cooperation_scenarios_then_exits() {
    let tmp = tempfile::tempdir().unwrap();
    let base = four_free_ports();
    let out = Command::new(env!("CARGO_BIN_EXE_pacific"))
        .args(["demo", "--exit-after-scenario", "--data"])
        .arg(tmp.path().join("demo"))
        .args(["--listen", &format!("127.0.0.1:{base}")])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    for expected in [
        "Delta IO",
        // The threat-intel part: the gate's decisions.
        "SENT  Alpha CERT (XA) -> Bravo Police Cyber Unit (XB): [AMBER] Operator's staging domain",
        "HELD  Alpha CERT (XA) -/-> Charlie Hosting Co. (XB): [RED]",
        // The cooperation part.
        "drafts x-pacific-assistance-request--",
        "Bravo Police Cyber Unit  acknowledges  [acknowledged]",
        "answers: preserved until",
        "RESULT preservation request answered",
        "(attempt 3, unacknowledged for",
        "the duty officer acknowledges  [acknowledged]",
        "RESULT hotline acknowledged after",
        "accepts Delta IO  [mediation]",
        "RESULT dispute in mediation by Delta IO",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}\nstderr:\n{stderr}"
        );
    }
    // Nobody's act was refused on the way: no node logged one that did not count.
    assert!(!stderr.contains("does not count"), "{stderr}");
    assert!(!stdout.contains("Serving until Ctrl-C"));
}
