//! A command's input file (or `-` for standard input) and the byte progress bar that
//! `pacific ingest` and `pacific match` show while reading it.

use std::io::Read;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use pacific_node::NodeError;

/// `path` opened for reading, `-` meaning standard input, with its size when it is a file.
pub fn open(path: &Path) -> Result<(Box<dyn Read + Send>, Option<u64>), NodeError> {
    if path.as_os_str() == "-" {
        return Ok((Box::new(std::io::stdin()), None));
    }
    let file = std::fs::File::open(path)
        .map_err(|e| NodeError::Setup(format!("cannot open {}: {e}", path.display())))?;
    let size = file.metadata().ok().map(|m| m.len());
    Ok((Box::new(file), size))
}

/// A progress bar over `size` bytes.
pub fn bytes_bar(size: u64) -> ProgressBar {
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::new(size).with_style(style)
}

/// A reader that moves `bar` on by every byte it reads.
pub struct Progress<R> {
    pub inner: R,
    pub bar: ProgressBar,
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}
