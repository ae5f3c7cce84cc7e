//! Bounded resources under slow or greedy clients (issue 11): header and body timeouts,
//! connections per address and in all, and the bytes of request bodies held at once. Each limit
//! is configured small and tested at its boundary, over raw TCP so the test controls every byte.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use pacific_testkit::test_node::TestNode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

fn addr(node: &TestNode) -> SocketAddr {
    node.base.trim_start_matches("http://").parse().unwrap()
}

/// A connection to the node from a loopback address of our choosing (127.0.0.2, …), so one
/// test can play several clients.
async fn connect_from(source: &str, node: &TestNode) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(source.parse().unwrap(), 0))
        .unwrap();
    socket.connect(addr(node)).await.unwrap()
}

/// Reads until the node closes the connection (EOF or reset); how long it took, if it did within
/// `within`, and what it answered before closing.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<(Duration, String)> {
    let start = Instant::now();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = within.checked_sub(start.elapsed())?;
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => {
                return Some((start.elapsed(), String::from_utf8_lossy(&seen).into_owned()));
            }
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// Sends `GET /healthz` on a kept-alive connection; the answer's status line, if one came.
async fn healthz_on(stream: &mut TcpStream) -> Option<String> {
    let sent = stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: node\r\n\r\n")
        .await;
    if sent.is_err() {
        return None;
    }
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await;
        match read {
            Ok(Ok(n)) if n > 0 => seen.extend_from_slice(&buf[..n]),
            _ => return None,
        }
        let text = String::from_utf8_lossy(&seen);
        if text.contains("\r\n\r\n") && text.ends_with("ok\n") {
            return text.lines().next().map(str::to_owned);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_sending_partial_headers_is_dropped_after_the_header_timeout() {
    let node = TestNode::start_with(|c| c.server.header_timeout_secs = 1).await;
    // Headers sent whole in time are served, and the connection is kept alive.
    let mut quick = connect_from("127.0.0.1", &node).await;
    assert_eq!(
        healthz_on(&mut quick).await.as_deref(),
        Some("HTTP/1.1 200 OK")
    );

    // A slowloris: a header line every 200 ms, never the blank line that ends them.
    let mut slow = connect_from("127.0.0.1", &node).await;
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: node\r\n")
        .await
        .unwrap();
    let (mut reader, mut writer) = slow.into_split();
    let trickle = tokio::spawn(async move {
        for n in 0..100 {
            if writer
                .write_all(format!("X-Slow-{n}: 1\r\n").as_bytes())
                .await
                .is_err()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    trickle.abort();
    assert!(closed.is_ok(), "a slowloris kept its connection for 5 s");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "dropped after {took:?}, not the 1 s header timeout"
    );
    // An idle kept-alive connection is closed after as long.
    let (idle, _) = closed_within(&mut quick, Duration::from_secs(3))
        .await
        .expect("an idle kept-alive connection stayed open");
    assert!(idle < Duration::from_secs(3), "{idle:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_is_answered_408_and_its_connection_closed() {
    let node = TestNode::start_with(|c| {
        c.server.body_timeout_secs = 1;
        c.server.min_body_rate = 100;
    })
    .await;
    let head = |len: usize| {
        format!("POST /federation/inbox HTTP/1.1\r\nHost: node\r\nContent-Length: {len}\r\n\r\n")
    };
    // Within the bound: 150 bytes over 1.2 s (1 s + 1 s per 100 bytes allows 2 s) is read
    // whole and judged (not an envelope: 403 envelope-malformed).
    let mut steady = connect_from("127.0.0.1", &node).await;
    steady.write_all(head(150).as_bytes()).await.unwrap();
    for _ in 0..6 {
        steady.write_all(&[b'x'; 25]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), steady.read(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("envelope-malformed"), "{answer}");

    // One byte every 300 ms: answered 408 body-timeout once the 1 s is up, and closed.
    let mut slow = connect_from("127.0.0.1", &node).await;
    slow.write_all(head(1000).as_bytes()).await.unwrap();
    let (mut reader, mut writer) = slow.into_split();
    let trickle = tokio::spawn(async move {
        for _ in 0..100 {
            if writer.write_all(b"x").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    let start = Instant::now();
    let mut seen = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0u8; 4096];
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    trickle.abort();
    assert!(
        closed.is_ok(),
        "a body of 1 byte every 300 ms held its connection for 5 s"
    );
    let took = start.elapsed();
    assert!(took < Duration::from_secs(3), "closed after {took:?}");
    let seen = String::from_utf8_lossy(&seen);
    assert!(seen.starts_with("HTTP/1.1 408"), "{seen}");
    assert!(seen.contains("body-timeout"), "{seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_take_every_connection_and_others_are_still_served() {
    let node = TestNode::start_with(|c| {
        c.server.max_connections_per_address = 3;
        c.server.max_connections = 5;
    })
    .await;
    // Three connections from 127.0.0.2: each served, kept open.
    let mut greedy = Vec::new();
    for _ in 0..3 {
        let mut c = connect_from("127.0.0.2", &node).await;
        assert_eq!(healthz_on(&mut c).await.as_deref(), Some("HTTP/1.1 200 OK"));
        greedy.push(c);
    }
    // A fourth from the same address is closed unanswered.
    let mut fourth = connect_from("127.0.0.2", &node).await;
    assert_eq!(healthz_on(&mut fourth).await, None);
    // Another address is still served, up to five connections in all.
    let mut other = connect_from("127.0.0.3", &node).await;
    assert_eq!(
        healthz_on(&mut other).await.as_deref(),
        Some("HTTP/1.1 200 OK")
    );
    let mut fifth = connect_from("127.0.0.4", &node).await;
    assert_eq!(
        healthz_on(&mut fifth).await.as_deref(),
        Some("HTTP/1.1 200 OK")
    );
    // The sixth, from a fresh address, meets the total cap.
    let mut sixth = connect_from("127.0.0.5", &node).await;
    assert_eq!(healthz_on(&mut sixth).await, None);
    // A closed connection gives its place back.
    drop(greedy.pop());
    let mut again = None;
    for _ in 0..50 {
        let mut c = connect_from("127.0.0.2", &node).await;
        if let Some(status) = healthz_on(&mut c).await {
            again = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(again.as_deref(), Some("HTTP/1.1 200 OK"));
    // Counted for the operator (once the connections above have closed).
    drop((greedy, other, fifth));
    let mut metrics = String::new();
    for _ in 0..50 {
        let sent = node
            .http
            .get(node.url("/metrics"))
            .bearer_auth(&node.admin)
            .send()
            .await;
        if let Ok(r) = sent {
            metrics = r.text().await.unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        metrics.contains("pacific_connections_refused_total{cap=\"per-address\"} 1\n"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies_held_at_once_are_bounded_and_the_budget_comes_back() {
    const BUDGET: usize = 64 * 1024;
    let node = TestNode::start_with(|c| c.server.max_body_bytes_in_flight = BUDGET).await;
    let inbox = |body: Vec<u8>| {
        node.http
            .post(node.url("/federation/inbox"))
            .body(body)
            .send()
    };
    // One client holds 60 000 bytes of an unfinished 100 000-byte body.
    let mut holder = connect_from("127.0.0.2", &node).await;
    holder
        .write_all(
            b"POST /federation/inbox HTTP/1.1\r\nHost: node\r\nContent-Length: 100000\r\n\r\n",
        )
        .await
        .unwrap();
    holder.write_all(&[b'x'; 60_000]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Exactly what is left of the budget: taken (and judged: not an envelope).
    let r = inbox(vec![b'x'; BUDGET - 60_000]).await.unwrap();
    assert_eq!(r.status(), 403);
    // One byte more: 503 server-busy with Retry-After, not buffered.
    let r = inbox(vec![b'x'; BUDGET - 60_000 + 1]).await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "1");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error_code"], "server-busy");

    // The holder goes away: its bytes come back.
    drop(holder);
    let mut status = 0;
    for _ in 0..100 {
        status = inbox(vec![b'x'; 8000]).await.unwrap().status().as_u16();
        if status != 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, 403, "the budget never came back");
}

/// `members` gzip members each inflating to `mib` MiB of short text lines, concatenated (a
/// multi-member gzip stream, as `cat a.gz b.gz` makes).
fn gzip_bomb(mib: usize, members: usize) -> Vec<u8> {
    use std::io::Write;
    let line = b"198.51.100.7\n";
    let plain: Vec<u8> = line.iter().copied().cycle().take(mib << 20).collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&plain).unwrap();
    let member = gz.finish().unwrap();
    member.repeat(members)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

async fn post_match(node: &TestNode, body: Vec<u8>) -> (u16, serde_json::Value) {
    let r = node
        .http
        .post(node.url("/match?format=text"))
        .bearer_auth(&node.analyst)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

/// The value of an unlabelled metric (asked again if the pooled connection was closed).
async fn metric(node: &TestNode, name: &str) -> Option<u64> {
    for _ in 0..3 {
        let sent = node
            .http
            .get(node.url("/metrics"))
            .bearer_auth(&node.admin)
            .send()
            .await;
        let Ok(response) = sent else { continue };
        let text = response.text().await.ok()?;
        return text
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok());
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn match_input_is_bounded_after_decompression_at_exactly_max_input_bytes() {
    let node = TestNode::start_with(|c| c.matching.max_input_bytes = 1300).await;
    // 100 lines of 13 bytes: 1300 bytes, plain and gzipped.
    let at = "198.51.100.7\n".repeat(100);
    let over = format!("{at}x");
    for compressed in [false, true] {
        let body = |s: &str| {
            if compressed {
                gzip(s.as_bytes())
            } else {
                s.as_bytes().to_vec()
            }
        };
        let (status, answer) = post_match(&node, body(&at)).await;
        assert_eq!(
            (status, answer["lines"].as_u64()),
            (200, Some(100)),
            "{answer}"
        );
        assert_eq!(answer["gzip"], compressed);
        let (status, answer) = post_match(&node, body(&over)).await;
        assert_eq!(
            (status, answer["error_code"].as_str()),
            (413, Some("match-input-too-large")),
            "{answer}"
        );
    }
    assert_eq!(
        metric(&node, "pacific_match_runs_too_large_total").await,
        Some(2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzip_bomb_is_refused_at_the_bound_without_being_inflated() {
    let node = TestNode::start_with(|c| c.matching.max_input_bytes = 1 << 20).await;
    // 2 MiB of gzip inflating to 2 GiB.
    let bomb = gzip_bomb(8, 256);
    let start = Instant::now();
    let (status, answer) = post_match(&node, bomb.clone()).await;
    let took = start.elapsed();
    assert_eq!(
        (status, answer["error_code"].as_str()),
        (413, Some("match-input-too-large")),
        "{answer}"
    );
    println!(
        "a {} KiB gzip inflating to 2 GiB refused at a 1 MiB bound after {took:?}",
        bomb.len() >> 10
    );
    assert!(took < Duration::from_secs(5), "refused after {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_match_over_its_time_is_stopped() {
    let node = TestNode::start_with(|c| {
        c.matching.max_input_bytes = 1 << 40;
        c.matching.max_run_secs = 1;
    })
    .await;
    let bomb = gzip_bomb(8, 256);
    let start = Instant::now();
    let (status, answer) = post_match(&node, bomb).await;
    let took = start.elapsed();
    assert_eq!(
        (status, answer["error_code"].as_str()),
        (413, Some("match-time-exceeded")),
        "{answer}"
    );
    assert!(took < Duration::from_secs(4), "stopped after {took:?}");
    assert_eq!(
        metric(&node, "pacific_match_runs_timed_out_total").await,
        Some(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_match_whose_client_goes_away_stops() {
    let node = TestNode::start_with(|c| c.matching.max_input_bytes = 1 << 40).await;
    // About 200 KiB on the wire (read whole at once), 200 MiB to match: far more than the
    // test waits.
    let bomb = gzip_bomb(8, 25);
    let mut client = connect_from("127.0.0.1", &node).await;
    let head = format!(
        "POST /match?format=text HTTP/1.1\r\nHost: node\r\nAuthorization: Bearer {}\r\nContent-Length: {}\r\n\r\n",
        node.analyst,
        bomb.len()
    );
    client.write_all(head.as_bytes()).await.unwrap();
    client.write_all(&bomb).await.unwrap();
    let mut running = false;
    for _ in 0..100 {
        if metric(&node, "pacific_match_runs_active").await == Some(1) {
            running = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(running, "the run never started");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(metric(&node, "pacific_match_runs_active").await, Some(1));
    // The client goes away: the run stops within a buffer of input.
    drop(client);
    let gone = Instant::now();
    let mut stopped = None;
    for _ in 0..150 {
        if metric(&node, "pacific_match_runs_active").await == Some(0) {
            stopped = Some(gone.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stopped = stopped.expect("the run went on for 3 s after its client left");
    println!("a match run stopped {stopped:?} after its client left");
    assert_eq!(
        metric(&node, "pacific_match_runs_cancelled_total").await,
        Some(1)
    );
}
