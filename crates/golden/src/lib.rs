//! Pacific's golden files (not published; tests only, std only): the one copy of what every
//! crate's `tests/golden.rs` needs to compare what the code produces with the files under its
//! `tests/golden/`.
//!
//! - [`assert_golden`] compares bytes with a golden file, or rewrites the file when
//!   `PACIFIC_BLESS=1`; a mismatch panics naming the file, the first differing line of both
//!   sides and what a change to the folder means (the bold sentence of its `README.md`).
//! - [`read_golden`] and [`read_golden_text`] read a file back, to decode it and check it
//!   re-encodes to the same bytes.
//! - [`assert_folder_holds_only`] checks that the folder holds the files the tests write, its
//!   `README.md` and `.gitattributes`, and nothing else.
//! - [`replace_times`] and [`replace_uuids`] normalise what changes from run to run in a live
//!   node's or a command's output (the clock's timestamps, random UUIDs). Replacements only one
//!   crate needs stay in its `tests/golden.rs`.
//!
//! Each test module names its folder once, e.g.
//! `const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");`.
//!
//! It depends on nothing beyond std, so that it stays cheap as a dev-dependency of the domain
//! crates.

use std::path::Path;

/// The environment variable that rewrites golden files instead of comparing with them, when
/// it is `1`.
pub const BLESS: &str = "PACIFIC_BLESS";

/// Files every golden folder holds besides those its tests write.
pub const FOLDER_FILES: [&str; 2] = ["README.md", ".gitattributes"];

/// Compares `actual` with the golden file `dir/name`, or writes it when `PACIFIC_BLESS=1`.
///
/// A mismatch panics naming the file, the line, column and byte offset of the first
/// difference, that line on both sides (from at most 60 bytes before the difference, at most
/// 160 bytes, escaped if not UTF-8), both sizes, and the bold sentence of the folder's
/// `README.md` that says what a change to its files means. The panic points at the caller's
/// line.
#[track_caller]
pub fn assert_golden(dir: impl AsRef<Path>, name: &str, actual: &[u8]) {
    compare(&dir.as_ref().join(name), actual, blessing());
}

/// The golden file `dir/name`, as [`assert_golden`] checked (or wrote) it.
#[track_caller]
pub fn read_golden(dir: impl AsRef<Path>, name: &str) -> Vec<u8> {
    let path = dir.as_ref().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The text golden file `dir/name`, as [`assert_golden`] checked (or wrote) it.
#[track_caller]
pub fn read_golden_text(dir: impl AsRef<Path>, name: &str) -> String {
    let path = dir.as_ref().join(name);
    String::from_utf8(read_golden(dir, name))
        .unwrap_or_else(|e| panic!("{} is not UTF-8: {e}", path.display()))
}

/// Checks that `dir` holds exactly `files` (those the tests write) and [`FOLDER_FILES`]:
/// panics naming the stale files (no test writes them) and the missing ones.
#[track_caller]
pub fn assert_folder_holds_only<S: AsRef<str>>(dir: impl AsRef<Path>, files: &[S]) {
    let dir = dir.as_ref();
    let mut expected: Vec<&str> = files.iter().map(AsRef::as_ref).collect();
    expected.extend(FOLDER_FILES);
    let found: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| {
            let name = e.unwrap().file_name();
            name.into_string()
                .unwrap_or_else(|n| panic!("{} holds a file named {n:?}", dir.display()))
        })
        .collect();
    if let Some(message) = folder_difference(dir, &expected, &found) {
        panic!("{message}");
    }
}

/// Replaces RFC 3339 UTC timestamps (`YYYY-MM-DDTHH:MM:SS`, optional fraction, `Z`) at or after
/// `since` by `TIME`: those are the clock's when `since` is when the test started, and the
/// fixed inputs' times are all before any run. Only the first 19 bytes of `since`
/// (`YYYY-MM-DDTHH:MM:SS`) count.
pub fn replace_times(text: &str, since: &str) -> String {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd";
    assert!(
        since.len() >= SHAPE.len(),
        "replace_times: {since:?} is not an RFC 3339 time"
    );
    let b = text.as_bytes();
    let matches_at = |i: usize| {
        b.len() >= i + SHAPE.len()
            && SHAPE.iter().zip(&b[i..]).all(|(s, c)| match s {
                b'd' => c.is_ascii_digit(),
                s => s == c,
            })
    };
    let mut out = String::with_capacity(text.len());
    let (mut i, mut copied) = (0, 0);
    while i < b.len() {
        if matches_at(i) {
            let mut end = i + SHAPE.len();
            if b.get(end) == Some(&b'.') {
                end += 1;
                while b.get(end).is_some_and(u8::is_ascii_digit) {
                    end += 1;
                }
            }
            if b.get(end) == Some(&b'Z') {
                end += 1;
                if text[i..i + SHAPE.len()] >= since[..SHAPE.len()] {
                    out.push_str(&text[copied..i]);
                    out.push_str("TIME");
                    copied = end;
                }
            }
            i = end;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// Replaces lower-case UUIDs (8-4-4-4-12 hex digits, not inside a longer word) not in `keep`
/// by `UUID`, also inside STIX ids (`type--UUID`).
pub fn replace_uuids<S: AsRef<str>>(text: &str, keep: &[S]) -> String {
    let b = text.as_bytes();
    let is_uuid = |s: &[u8]| {
        s.len() == 36
            && s.iter().enumerate().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => *c == b'-',
                _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
            })
    };
    let mut out = String::with_capacity(text.len());
    let (mut i, mut copied) = (0, 0);
    while i + 36 <= b.len() {
        if (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && is_uuid(&b[i..i + 36])
            && b.get(i + 36).is_none_or(|c| !c.is_ascii_alphanumeric())
        {
            let uuid = &text[i..i + 36];
            if !keep.iter().any(|k| k.as_ref() == uuid) {
                out.push_str(&text[copied..i]);
                out.push_str("UUID");
                copied = i + 36;
            }
            i += 36;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// Whether `PACIFIC_BLESS=1`.
fn blessing() -> bool {
    std::env::var_os(BLESS).is_some_and(|v| v == "1")
}

/// [`assert_golden`] of the file at `path`, blessing or not.
#[track_caller]
fn compare(path: &Path, actual: &[u8], bless: bool) {
    if bless {
        std::fs::write(path, actual)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let expected = std::fs::read(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e} ({BLESS}=1 writes it)", path.display()));
    if let Some(message) = mismatch(path, &expected, actual) {
        panic!("{message}");
    }
}

/// What differs between the golden file at `path`, holding `expected`, and `actual`; `None`
/// when nothing does.
fn mismatch(path: &Path, expected: &[u8], actual: &[u8]) -> Option<String> {
    if expected == actual {
        return None;
    }
    let at = expected
        .iter()
        .zip(actual)
        .position(|(a, b)| a != b)
        .unwrap_or(expected.len().min(actual.len()));
    let line_start = expected[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line_no = expected[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    // The differing line of each side, from at most 60 bytes before the first difference.
    let show = |bytes: &[u8]| {
        let from = line_start.max(at.saturating_sub(60));
        let rest = bytes.get(from..).unwrap_or_default();
        let line = &rest[..rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len())];
        let line = &line[..line.len().min(160)];
        match std::str::from_utf8(line) {
            Ok(s) => format!("{s:?}"),
            Err(_) => format!("\"{}\"", line.escape_ascii()),
        }
    };
    let ends = if at == expected.len() {
        "\n  (the golden file ends there: the code produces more)"
    } else if at == actual.len() {
        "\n  (the code's output ends there: the golden file holds more)"
    } else {
        ""
    };
    let folder = path.parent().unwrap_or(Path::new("."));
    let meaning = readme_says(folder)
        .map(|s| format!(" {}: \"{s}\".", folder.join("README.md").display()))
        .unwrap_or_default();
    Some(format!(
        "{} differs from what the code produces: first difference at line {line_no}, column {} \
         (byte offset {at})\n  expected: {}\n  actual:   {}{ends}\n\
         ({} bytes expected, {} produced).{meaning} If the change is intended, rewrite the \
         files with {BLESS}=1 and say so in the commit.",
        path.display(),
        at - line_start + 1,
        show(expected),
        show(actual),
        expected.len(),
        actual.len(),
    ))
}

/// The first bold passage (`**…**`) of `folder/README.md`, on one line: what a change to the
/// folder's files means (a protocol, API or interface change).
fn readme_says(folder: &Path) -> Option<String> {
    let text = std::fs::read_to_string(folder.join("README.md")).ok()?;
    let (_, rest) = text.split_once("**")?;
    let (bold, _) = rest.split_once("**")?;
    Some(bold.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// What differs between the files a golden folder should hold and those `found` in it; `None`
/// when nothing does.
fn folder_difference(dir: &Path, expected: &[&str], found: &[String]) -> Option<String> {
    let mut stale: Vec<&str> = found
        .iter()
        .map(String::as_str)
        .filter(|f| !expected.contains(f))
        .collect();
    let mut missing: Vec<&str> = expected
        .iter()
        .copied()
        .filter(|e| !found.iter().any(|f| f == e))
        .collect();
    if stale.is_empty() && missing.is_empty() {
        return None;
    }
    stale.sort_unstable();
    missing.sort_unstable();
    Some(format!(
        "stale or missing golden files in {}:\n  stale (no test writes them; delete them or \
         add a test): {stale:?}\n  missing (a test writes them with {BLESS}=1): {missing:?}",
        dir.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A fresh folder under the system's temporary one, removed when dropped.
    struct TempFolder(PathBuf);

    impl TempFolder {
        fn new(name: &str) -> Self {
            let path =
                std::env::temp_dir().join(format!("pacific-golden-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            TempFolder(path)
        }
    }

    impl Drop for TempFolder {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// The message `f` panics with.
    fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
        let payload = std::panic::catch_unwind(f).expect_err("it should panic");
        match payload.downcast::<String>() {
            Ok(s) => *s,
            Err(p) => (*p.downcast::<&str>().unwrap()).to_owned(),
        }
    }

    #[test]
    fn golden_mismatch_is_reported_with_the_first_differing_line() {
        let dir = TempFolder::new("mismatch");
        std::fs::write(
            dir.0.join("README.md"),
            "# Golden files\n\n**A change to any of these files is a\nprotocol change**: …\n",
        )
        .unwrap();
        let path = dir.0.join("answer.json");
        std::fs::write(&path, "{\n  \"size\": 42,\n  \"hash\": \"ab\"\n}\n").unwrap();

        compare(&path, b"{\n  \"size\": 42,\n  \"hash\": \"ab\"\n}\n", false);
        let message = panic_message(|| {
            compare(&path, b"{\n  \"size\": 43,\n  \"hash\": \"ab\"\n}\n", false);
        });
        assert_eq!(
            message,
            format!(
                "{} differs from what the code produces: first difference at line 2, column 12 \
                 (byte offset 13)\n  expected: \"  \\\"size\\\": 42,\"\n  \
                 actual:   \"  \\\"size\\\": 43,\"\n(33 bytes expected, 33 produced). {}: \"A \
                 change to any of these files is a protocol change\". If the change is \
                 intended, rewrite the files with PACIFIC_BLESS=1 and say so in the commit.",
                path.display(),
                dir.0.join("README.md").display()
            )
        );
    }

    #[test]
    fn golden_mismatch_says_which_side_ends_first_and_escapes_binary() {
        let path = Path::new("/nowhere/frontier.bin");
        let message = mismatch(path, b"ab\ncd", b"ab\ncd\nef").unwrap();
        assert!(
            message.contains("line 2, column 3 (byte offset 5)"),
            "{message}"
        );
        assert!(message.contains("the golden file ends there"), "{message}");
        let message = mismatch(path, b"ab\ncd\nef", b"ab\n").unwrap();
        assert!(message.contains("line 2, column 1"), "{message}");
        assert!(
            message.contains("the code's output ends there"),
            "{message}"
        );
        let message = mismatch(path, b"\x00\x01\xff", b"\x00\x02\xff").unwrap();
        assert!(
            message.contains("expected: \"\\x00\\x01\\xff\""),
            "{message}"
        );
        assert_eq!(mismatch(path, b"same", b"same"), None);
    }

    #[test]
    fn golden_bless_writes_the_file_and_a_missing_file_says_how_to_write_it() {
        let dir = TempFolder::new("bless");
        let path = dir.0.join("new.txt");
        let message = panic_message(|| compare(&path, b"new\n", false));
        assert!(message.contains("PACIFIC_BLESS=1 writes it"), "{message}");
        compare(&path, b"new\n", true);
        assert_eq!(read_golden(&dir.0, "new.txt"), b"new\n");
        assert_eq!(read_golden_text(&dir.0, "new.txt"), "new\n");
        compare(&path, b"new\n", false);
    }

    #[test]
    fn golden_folder_check_names_stale_and_missing_files() {
        let dir = TempFolder::new("folder");
        for name in ["README.md", ".gitattributes", "a.json", "old.json"] {
            std::fs::write(dir.0.join(name), "").unwrap();
        }
        let message = panic_message(|| assert_folder_holds_only(&dir.0, &["a.json", "b.json"]));
        assert!(
            message
                .contains("stale (no test writes them; delete them or add a test): [\"old.json\"]"),
            "{message}"
        );
        assert!(
            message.contains("missing (a test writes them with PACIFIC_BLESS=1): [\"b.json\"]"),
            "{message}"
        );
        std::fs::remove_file(dir.0.join("old.json")).unwrap();
        std::fs::write(dir.0.join("b.json"), "").unwrap();
        assert_folder_holds_only(&dir.0, &["b.json".to_owned(), "a.json".to_owned()]);
    }

    #[test]
    fn golden_normalisation_replaces_the_clocks_times_and_random_uuids() {
        let text = "old 2025-06-01T00:00:00.000Z now 2026-01-01T00:00:00.5Z later \
                    2027-02-03T04:05:06Z local 2027-02-03T04:05:06 date 2027-02-03";
        assert_eq!(
            replace_times(text, "2026-01-01T00:00:00.000Z"),
            "old 2025-06-01T00:00:00.000Z now TIME later TIME local 2027-02-03T04:05:06 date \
             2027-02-03"
        );
        let text = "indicator--6b6f2a4e-8a1d-4c1e-9d3a-1f2e3d4c5b6a \
                    bundle--0f0e0d0c-0b0a-4909-8807-060504030201 \
                    x0f0e0d0c-0b0a-4909-8807-060504030201 \
                    0F0E0D0C-0B0A-4909-8807-060504030201";
        assert_eq!(
            replace_uuids(text, &["6b6f2a4e-8a1d-4c1e-9d3a-1f2e3d4c5b6a"]),
            "indicator--6b6f2a4e-8a1d-4c1e-9d3a-1f2e3d4c5b6a bundle--UUID \
             x0f0e0d0c-0b0a-4909-8807-060504030201 0F0E0D0C-0B0A-4909-8807-060504030201"
        );
        assert_eq!(
            replace_uuids::<String>(text, &[]).matches("UUID").count(),
            2
        );
    }
}
