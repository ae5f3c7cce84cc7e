//! Taking TCP ports before anything else is done, and saying who holds one that is taken.
//!
//! `pacific demo` binds every port it will serve on first, so a clash fails at once, naming
//! the port and (on Linux, where `/proc` tells) the process holding it, before any data
//! directory is created.

use std::net::{SocketAddr, TcpListener};

/// Binds `addr` for `what` (e.g. "Bravo Police Cyber Unit"); when it cannot, says which port,
/// why, and who holds it where that can be found out.
pub fn bind(addr: SocketAddr, what: &str) -> Result<TcpListener, String> {
    TcpListener::bind(addr).map_err(|e| {
        let mut msg = format!("cannot listen on {addr} for {what}: {e}");
        if e.kind() == std::io::ErrorKind::AddrInUse {
            match holder(addr.port()) {
                Some(h) => {
                    msg.push_str("; ");
                    msg.push_str(&h);
                }
                None => msg.push_str("; the process holding it could not be found"),
            }
        }
        msg
    })
}

/// Who holds TCP port `port`, as this user may see it: `held by PID 1234 (python3)`, or the
/// owner's uid when the process is not ours to inspect. `None` when `/proc` does not say
/// (another operating system, or a socket that is no longer there).
pub fn holder(port: u16) -> Option<String> {
    let sockets = sockets_on(port);
    if sockets.is_empty() {
        return None;
    }
    let mut denied = false;
    let procs = std::fs::read_dir("/proc").ok()?;
    for entry in procs.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let fds = match std::fs::read_dir(entry.path().join("fd")) {
            Ok(fds) => fds,
            Err(_) => {
                denied = true;
                continue;
            }
        };
        for fd in fds.flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let target = target.to_string_lossy();
            if sockets
                .iter()
                .any(|s| target == format!("socket:[{}]", s.inode))
            {
                let command = std::fs::read_to_string(entry.path().join("comm"))
                    .map(|c| c.trim().to_owned())
                    .unwrap_or_else(|_| "?".into());
                return Some(format!("held by PID {pid} ({command})"));
            }
        }
    }
    let uid = sockets[0].uid;
    Some(if denied {
        format!(
            "held by a process of uid {uid} that this user is not permitted to inspect (run as that user or root to see which)"
        )
    } else {
        format!("held by a socket of uid {uid} that no process shows")
    })
}

/// A socket of `/proc/net/tcp{,6}`: its inode and owner.
struct Socket {
    inode: u64,
    uid: u32,
}

/// The sockets bound to local port `port`, listening ones first.
fn sockets_on(port: u16) -> Vec<Socket> {
    let mut listening = Vec::new();
    let mut other = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 {
                continue;
            }
            let local_port = f[1]
                .rsplit_once(':')
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok());
            if local_port != Some(port) {
                continue;
            }
            let (Ok(inode), Ok(uid)) = (f[9].parse::<u64>(), f[7].parse::<u32>()) else {
                continue;
            };
            if inode == 0 {
                continue;
            }
            let socket = Socket { inode, uid };
            if f[3] == "0A" {
                listening.push(socket);
            } else {
                other.push(socket);
            }
        }
    }
    listening.extend(other);
    listening
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn a_port_this_process_holds_is_named_with_its_pid() {
        let held = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = held.local_addr().unwrap();
        let err = bind(addr, "a test").unwrap_err();
        assert!(
            err.contains(&format!("held by PID {} (", std::process::id())),
            "{err}"
        );
        assert!(err.contains(&addr.to_string()), "{err}");
    }
}
