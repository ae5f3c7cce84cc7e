//! `pacific registry …` and `pacific request new --about` run as a process against two nodes on
//! 127.0.0.1: a state imports its delegated space (dry run first, totals and refused lines by
//! number, nothing stored), claims it, and the other node looks addresses up and asks it for
//! assistance about an address without naming it; what a user is told when nobody answers,
//! when claims are in conflict, and when a reader tries to claim.

use std::time::{Duration, Instant};

use pacific_core::access::Role;
use pacific_testkit::federation::{FedNode, mesh};

use crate::process::{Out, run_async};

const WITHIN: Duration = Duration::from_secs(20);

/// An RIR delegated-extended file: Alpha's (XA) space, Bravo's (XB), a summary line and a
/// malformed line.
const DELEGATED: &str = "\
2|ripencc|20261201|6|19830705|20261201|+0100
ripencc|*|ipv4|*|4|summary
ripencc|XA|ipv4|45.10.0.0|65536|20100101|allocated|a1
ripencc|XA|ipv4|45.12.0.0|768|20100101|allocated|a1
ripencc|XB|ipv4|46.20.0.0|1024|20110101|allocated|b1
ripencc|XA|asn|64000|2|20100101|allocated|a1
ripencc|XA|ipv6|2a0f:1000::|32|20120101|allocated|a1
ripencc|XA|ipv4|45.13.0.x|256|20100101|allocated|a1
";

async fn pacific(node: &FedNode, token: &str, args: &[&str]) -> Out {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.extend(["--url".into(), node.url(), "--token".into(), token.into()]);
    run_async(all).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_imports_and_claims_its_space_and_a_peer_asks_it_about_an_address() {
    let tmp = tempfile::tempdir().unwrap();
    let nodes = mesh(tmp.path(), &["alpha", "bravo"], |_| {}).await;
    let (alpha, bravo) = (&nodes[0], &nodes[1]);
    let delegate = alpha.user("dee", Role::Delegate).await;
    let reader = alpha.user("rita", Role::Reader).await;
    let liaison = bravo.user("lia", Role::Liaison).await;
    let file = tmp.path().join("delegated-ripencc-extended-latest");
    std::fs::write(&file, DELEGATED).unwrap();
    let file = file.to_str().unwrap();

    // The dry run: what would be claimed, the refused line by number, and no node needed.
    let dry = run_async(
        [
            "registry",
            "import",
            "--delegated",
            file,
            "--cc",
            "XA",
            "--dry-run",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    assert_eq!(dry.code, 0, "{dry}");
    assert!(
        dry.stdout.contains("3 IPv4 prefixes (66304 addresses)"),
        "{dry}"
    );
    assert!(dry.stdout.contains("1 IPv6 prefixes"), "{dry}");
    assert!(dry.stdout.contains("1 AS ranges (2 AS numbers)"), "{dry}");
    assert!(dry.stdout.contains("refused line 8:"), "{dry}");
    assert!(dry.stdout.contains("nothing stored"), "{dry}");

    // A reader may not claim, and is told who may.
    let contact = [
        "--contact-name",
        "Alpha duty desk",
        "--contact-email",
        "duty@alpha.example.org",
    ];
    let mut import = vec!["registry", "import", "--delegated", file, "--cc", "XA"];
    import.extend(contact);
    let out = pacific(alpha, &reader, &import).await;
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("only a delegate or an admin"), "{out}");

    let out = pacific(alpha, &delegate, &import).await;
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.contains("claimed: x-pacific-resource-claim--"),
        "{out}"
    );
    let claim_id = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("claimed: "))
        .unwrap()
        .to_owned();

    // Bravo checks Alpha's claim against its own copy of the delegation data: XA's lines
    // corroborate it, XB's contradict it; the marks stay on Bravo, naming the file.
    let bravo_admin = bravo.user("bob", Role::Admin).await;
    let start = Instant::now();
    let corroborate = ["registry", "corroborate", &claim_id, "--delegated", file];
    let out = loop {
        let mut args = corroborate.to_vec();
        args.extend(["--cc", "XA"]);
        let out = pacific(bravo, &bravo_admin, &args).await;
        if out.code == 0 || start.elapsed() > WITHIN {
            break out;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout
            .contains("corroborated by delegated-ripencc-extended-latest"),
        "{out}"
    );
    let mut args = corroborate.to_vec();
    args.extend(["--cc", "XB"]);
    let out = pacific(bravo, &bravo_admin, &args).await;
    assert!(
        out.stdout.contains("contradicted") && out.stdout.contains("not covered: 45.10.0.0/16"),
        "{out}"
    );
    let shown = pacific(bravo, &bravo_admin, &["registry", "show", &claim_id]).await;
    assert!(
        shown.stdout.contains("mark") && shown.stdout.contains("contradicted"),
        "{shown}"
    );
    let on_alpha = pacific(alpha, &delegate, &["registry", "show", &claim_id]).await;
    assert!(
        !on_alpha.stdout.contains("mark "),
        "marks stay where they are made: {on_alpha}"
    );

    // Bravo's liaison sees the claim and asks Alpha about an address without naming Alpha.
    let start = Instant::now();
    loop {
        let out = pacific(bravo, &liaison, &["registry", "lookup", "45.12.1.9"]).await;
        if out.stdout.contains("jurisdiction alpha") {
            assert!(
                out.stdout.contains("via 45.12.0.0/23") && out.stdout.contains("Alpha duty desk"),
                "{out}"
            );
            break;
        }
        assert!(
            start.elapsed() < WITHIN,
            "the claim never reached Bravo: {out}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let request = [
        "request",
        "new",
        "--about",
        "45.10.77.1",
        "--urgency",
        "urgent",
        "--title",
        "who rents 45.10.77.1",
        "--kind",
        "information",
        "--field",
        "question=Who rents 45.10.77.1?",
    ];
    let out = pacific(bravo, &liaison, &request).await;
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout
            .contains("45.10.77.1: alpha answers as jurisdiction"),
        "{out}"
    );
    assert!(
        out.stdout.contains("bravo → alpha: who rents 45.10.77.1"),
        "{out}"
    );

    // Nobody answers for Bravo's own space (not claimed): refused, with what to do.
    let mut nobody = request.to_vec();
    nobody[3] = "46.20.0.1";
    let out = pacific(bravo, &liaison, &nobody).await;
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr
            .contains("no party answers for 46.20.0.1 as jurisdiction"),
        "{out}"
    );

    // Bravo claims part of Alpha's space: in conflict, the request is refused too.
    let out = pacific(
        bravo,
        &bravo_admin,
        &[
            "registry",
            "claim",
            "--role",
            "jurisdiction",
            "--resource",
            "45.10.64.0/18",
            "--contact-name",
            "Bravo duty",
            "--contact-phone",
            "+99 555 0200",
        ],
    )
    .await;
    assert_eq!(out.code, 0, "{out}");
    let out = pacific(bravo, &liaison, &["registry", "conflicts"]).await;
    assert!(
        out.stdout.contains("CONFLICT jurisdiction") && out.stdout.contains("45.10.64.0/18"),
        "{out}"
    );
    let out = pacific(bravo, &liaison, &request).await;
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("in conflict (alpha, bravo)"), "{out}");

    // Alpha takes the conflict to a dispute, with both claims as its objects.
    let conflicts = pacific(alpha, &delegate, &["registry", "conflicts", "--json"]).await;
    let v: serde_json::Value = serde_json::from_str(&conflicts.stdout).unwrap();
    let claims: Vec<&str> = v[0]["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let alpha_liaison = alpha.user("lee", Role::Liaison).await;
    let mut open = vec![
        "dispute",
        "open",
        "--respondent",
        "bravo",
        "--subject",
        "45.10.64.0/18",
        "--claim",
        "the space is XA's by its RIR delegation",
    ];
    for c in &claims {
        open.extend(["--evidence", c]);
    }
    let out = pacific(alpha, &alpha_liaison, &open).await;
    assert_eq!(out.code, 0, "{out}");
    let dispute_id = out.stdout.split_whitespace().next().unwrap().to_owned();
    let shown = pacific(
        alpha,
        &alpha_liaison,
        &["dispute", "show", &dispute_id, "--json"],
    )
    .await;
    for c in &claims {
        assert!(shown.stdout.contains(c), "{shown}");
    }
}
