//! The index snapshot (issue 14): `<data>/match-index.snap`, what the matching service holds —
//! the compiled index, the catalog, the report — as of a `seq` of the store's feed, so that a
//! start reads one file and the feed after that `seq` instead of compiling every indicator.
//!
//! Layout (little-endian, [`pacific_match::codec`]): the magic `PACMSNAP`, the format
//! ([`FORMAT`]), the body's length and its CRC-32, then the body: the [`Header`] (what the
//! snapshot is checked against before use), the report, the index ([`Index::encode`]), the
//! catalog (each indicator's name, phases and origin; every relationship seen).
//!
//! **Invariant:** a snapshot never changes results. It is used only when it is whole (length,
//! checksum, every read bounded), of this format, of this store (its random instance), with no
//! version deleted since it was taken (the store's count of deleted versions), with the version
//! at its `seq` still there, and for the same party and federation setting; otherwise it is
//! ignored, with the reason logged, and the index loads from the store. Kept by
//! `matching::snapshot::tests::snapshot_and_feed_give_what_loading_from_the_store_gives` and
//! `a_damaged_stale_or_foreign_snapshot_is_ignored_with_its_reason`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use pacific_match::codec::{DecodeError, Decoder, Encoder};
use pacific_match::{CompileError, CompileReport, Index, Rejected};

use super::catalog::{Catalog, FastMap, IndicatorMeta};

/// The snapshot's file name in the data directory.
pub const SNAPSHOT_FILE: &str = "match-index.snap";
const MAGIC: &[u8; 8] = b"PACMSNAP";
/// The layout's version; a file of another is ignored.
pub(crate) const FORMAT: u32 = 1;

/// What a snapshot is checked against before it is used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    /// The store's random instance ([`pacific_store::FeedState::instance`]).
    pub(crate) instance: i64,
    /// The store's count of deleted versions when the state was read.
    pub(crate) versions_deleted: i64,
    /// The last `seq` of the feed applied.
    pub(crate) cursor: i64,
    /// The object and version stored at `cursor` then.
    pub(crate) at_cursor: Option<(String, i64)>,
    /// This party's id (an indicator of its own has no origin).
    pub(crate) party: String,
    /// Whether origins were joined (a federation store was given).
    pub(crate) federation: bool,
}

/// A snapshot read back.
pub(crate) struct Snapshot {
    pub(crate) header: Header,
    pub(crate) report: CompileReport,
    pub(crate) index: Index,
    pub(crate) catalog: Catalog,
}

/// Why a snapshot was not used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refused {
    #[error("cannot be read: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a snapshot of the matching index")]
    Magic,
    #[error("of format {0}, this build reads format {FORMAT}")]
    Format(u32),
    #[error("cut short or with trailing bytes ({0} bytes)")]
    Length(usize),
    #[error("its checksum does not match (the file changed)")]
    Checksum,
    #[error("does not decode: {0}")]
    Decode(#[from] DecodeError),
    #[error("{0}")]
    Stale(String),
}

/// The whole file: header, report, index and catalog, checksummed.
pub(crate) fn encode(
    header: &Header,
    report: &CompileReport,
    index: &Index,
    catalog: &Catalog,
) -> Vec<u8> {
    let mut e = Encoder::with_capacity(64 << 20);
    e.buf.extend_from_slice(MAGIC);
    e.u32(FORMAT);
    let length_at = e.placeholder();
    e.u32(0);
    let body = e.buf.len();
    e.i64(header.instance);
    e.i64(header.versions_deleted);
    e.i64(header.cursor);
    match &header.at_cursor {
        Some((id, version)) => {
            e.bool(true);
            e.str(id);
            e.i64(*version);
        }
        None => e.bool(false),
    }
    e.str(&header.party);
    e.bool(header.federation);

    for n in [
        report.added,
        report.replaced,
        report.unchanged,
        report.revoked,
    ] {
        e.u64(n as u64);
    }
    e.u64(report.rejected.len() as u64);
    for r in &report.rejected {
        e.str(&r.id);
        e.str(&r.reason.to_string());
    }

    // The index's length first, so that reading decodes it and the catalog at once.
    let index_at = e.placeholder();
    index.encode(&mut e);
    let index_len = (e.buf.len() - index_at - 8) as u64;
    e.patch_u64(index_at, index_len);

    // The parties and each indicator's details, then the relationships, each section after
    // its length, so that reading takes them on two threads.
    let meta_at = e.placeholder();
    let mut parties: HashMap<&str, u32> = HashMap::new();
    for m in catalog.meta.values() {
        if let Some(o) = &m.origin {
            let next = parties.len() as u32;
            parties.entry(o).or_insert(next);
        }
    }
    let mut names: Vec<(&str, u32)> = parties.iter().map(|(k, v)| (*k, *v)).collect();
    names.sort_unstable_by_key(|p| p.1);
    e.u64(names.len() as u64);
    for (name, _) in names {
        e.str(name);
    }
    e.u64(catalog.meta.len() as u64);
    for (id, m) in &catalog.meta {
        e.u128(*id);
        match &m.name {
            Some(n) => {
                e.bool(true);
                e.str(n);
            }
            None => e.bool(false),
        }
        e.u32(m.phases.len() as u32);
        for p in &m.phases {
            e.str(p);
        }
        e.u32(m.origin.as_deref().map_or(u32::MAX, |o| parties[o]));
    }
    let meta_len = (e.buf.len() - meta_at - 8) as u64;
    e.patch_u64(meta_at, meta_len);
    e.u64(catalog.relationships.len() as u64);
    for (id, (version, pair)) in &catalog.relationships {
        e.str(id);
        e.i64(*version);
        match pair {
            Some((ind, target)) => {
                e.bool(true);
                e.u128(*ind);
                e.str(target);
            }
            None => e.bool(false),
        }
    }

    let length = (e.buf.len() - body) as u64;
    let crc = crc32fast::hash(&e.buf[body..]);
    e.patch_u64(length_at, length);
    e.buf[length_at + 8..body].copy_from_slice(&crc.to_le_bytes());
    e.buf
}

/// The header alone, after the file's frame (magic, format, length, checksum) is checked;
/// returns it and a decoder at the rest of the body.
pub(crate) fn open(bytes: &[u8]) -> Result<(Header, Decoder<'_>), Refused> {
    let mut d = Decoder::new(bytes);
    if d.take(8).ok() != Some(&MAGIC[..]) {
        return Err(Refused::Magic);
    }
    let format = d.u32()?;
    if format != FORMAT {
        return Err(Refused::Format(format));
    }
    let length = d.u64()?;
    let crc = d.u32()?;
    if u64::try_from(d.remaining()).ok() != Some(length) {
        return Err(Refused::Length(bytes.len()));
    }
    let body = &bytes[d.position()..];
    if crc32fast::hash(body) != crc {
        return Err(Refused::Checksum);
    }
    let mut d = Decoder::new(body);
    let instance = d.i64()?;
    let versions_deleted = d.i64()?;
    let cursor = d.i64()?;
    let at_cursor = if d.bool()? {
        Some((d.str()?.to_owned(), d.i64()?))
    } else {
        None
    };
    let header = Header {
        instance,
        versions_deleted,
        cursor,
        at_cursor,
        party: d.str()?.to_owned(),
        federation: d.bool()?,
    };
    Ok((header, d))
}

/// The rest of the body after [`open`], and the seconds the index took of it.
pub(crate) fn read_body<'a>(
    header: Header,
    mut d: Decoder<'a>,
) -> Result<(Snapshot, f64), Refused> {
    let d = &mut d;
    let mut report = CompileReport {
        added: d.u64()? as usize,
        replaced: d.u64()? as usize,
        unchanged: d.u64()? as usize,
        revoked: d.u64()? as usize,
        rejected: Vec::new(),
    };
    for _ in 0..d.count(8)? {
        report.rejected.push(Rejected {
            id: d.str()?.to_owned(),
            reason: CompileError::Earlier(d.str()?.to_owned()),
        });
    }

    // The index on another thread while this one reads the catalog: on two cores, the start
    // takes the longer of the two rather than their sum.
    let index_len = d.u64()?;
    let index_bytes = d.take(
        usize::try_from(index_len)
            .map_err(|_| d.invalid(format!("an index of {index_len} bytes")))?,
    )?;
    let section = |d: &mut Decoder<'a>| -> Result<Decoder<'a>, DecodeError> {
        let len = d.u64()?;
        let len = usize::try_from(len).map_err(|_| d.invalid(format!("{len} bytes")))?;
        Ok(Decoder::new(d.take(len)?))
    };
    let mut meta = section(d)?;
    let (index, relationships, catalog) = std::thread::scope(|s| {
        let index = s.spawn(|| {
            let started = std::time::Instant::now();
            let mut d = Decoder::new(index_bytes);
            let index = Index::decode(&mut d)?;
            if d.remaining() != 0 {
                return Err(d.invalid("trailing bytes after the index"));
            }
            Ok((index, started.elapsed().as_secs_f64()))
        });
        let relationships = s.spawn(|| read_relationships(d));
        let catalog = read_meta(&mut meta);
        let stopped = || DecodeError::Invalid {
            at: 0,
            why: "a reader stopped".into(),
        };
        let index = index.join().unwrap_or_else(|_| Err(stopped()));
        let relationships = relationships
            .join()
            .unwrap_or_else(|_| Err(stopped().into()));
        (index, relationships, catalog)
    });
    let (index, index_secs) = index?;
    let mut catalog = catalog?;
    let (relationships, targets) = relationships?;
    catalog.relationships = relationships;
    catalog.targets = targets;
    Ok((
        Snapshot {
            header,
            report,
            index,
            catalog,
        },
        index_secs,
    ))
}

/// The catalog's first section: the parties and each indicator's details.
fn read_meta(d: &mut Decoder<'_>) -> Result<Catalog, Refused> {
    let mut parties: Vec<Arc<str>> = Vec::new();
    for _ in 0..d.count(4)? {
        parties.push(Arc::from(d.str()?));
    }
    let mut catalog = Catalog::default();
    let n = d.count(16 + 1 + 4 + 4)?;
    catalog.meta.reserve(n);
    for _ in 0..n {
        let id = d.u128()?;
        let name = if d.bool()? {
            Some(Box::from(d.str()?))
        } else {
            None
        };
        let phases_n = d.u32()? as usize;
        if phases_n.saturating_mul(4) > d.remaining() {
            return Err(d.invalid("more phases than bytes").into());
        }
        let mut phases = Vec::with_capacity(phases_n);
        for _ in 0..phases_n {
            phases.push(Box::from(d.str()?));
        }
        let origin = match d.u32()? {
            u32::MAX => None,
            i => Some(Arc::clone(parties.get(i as usize).ok_or_else(|| {
                d.invalid(format!("party {i} of {}", parties.len()))
            })?)),
        };
        let meta = IndicatorMeta {
            name,
            phases,
            origin,
        };
        if catalog.meta.insert(id, meta).is_some() {
            return Err(d.invalid("an indicator's details written twice").into());
        }
    }
    if d.remaining() != 0 {
        return Err(d.invalid("trailing bytes after the details").into());
    }
    Ok(catalog)
}

type Relationships = (
    FastMap<String, (i64, Option<(u128, String)>)>,
    FastMap<u128, HashMap<String, u32>>,
);

/// The catalog's second section: every relationship, and the targets they give.
fn read_relationships(d: &mut Decoder<'_>) -> Result<Relationships, Refused> {
    let mut catalog = Catalog::default();
    let n = d.count(4 + 8 + 1)?;
    catalog.relationships.reserve(n);
    for _ in 0..n {
        let id = d.str()?.to_owned();
        let version = d.i64()?;
        let pair = if d.bool()? {
            Some((d.u128()?, d.str()?.to_owned()))
        } else {
            None
        };
        if let Some((ind, target)) = &pair {
            *catalog
                .targets
                .entry(*ind)
                .or_default()
                .entry(target.clone())
                .or_default() += 1;
        }
        if catalog.relationships.insert(id, (version, pair)).is_some() {
            return Err(d.invalid("a relationship written twice").into());
        }
    }
    if d.remaining() != 0 {
        return Err(d.invalid("trailing bytes").into());
    }
    Ok((catalog.relationships, catalog.targets))
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, synced, then renamed over
/// it, so a reader sees the old snapshot or the new one, never part of one.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("snap.tmp-{}-{n}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;
