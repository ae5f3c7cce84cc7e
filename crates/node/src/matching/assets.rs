//! The asset inventory (`<data>/assets.toml`): address ranges by sector, to tell a match on
//! critical infrastructure.

use std::net::IpAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::NodeError;

use super::*;

/// One asset of the inventory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asset {
    pub name: String,
    /// An address range, `192.0.2.0/24` or `2001:db8::/32` (a bare address is one host).
    pub cidr: String,
    /// One of [`SECTORS`].
    pub sector: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssetsFile {
    #[serde(default)]
    pub(crate) assets: Vec<Asset>,
}

/// The asset inventory: address ranges with their sectors. An address belongs to the most
/// specific range containing it.
#[derive(Clone, Debug, Default)]
pub struct Assets {
    pub(crate) assets: Vec<Asset>,
    /// (network as IPv6 bits — IPv4 mapped, prefix length in that space, asset index),
    /// longest prefix first.
    pub(crate) ranges: Vec<(u128, u8, usize)>,
}

pub(crate) fn mapped(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

pub(crate) fn mask(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len))
    }
}

impl Assets {
    /// Reads `assets.toml` text: `[[assets]]` tables of `name`, `cidr`, `sector`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: AssetsFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut ranges = Vec::new();
        for (i, a) in file.assets.iter().enumerate() {
            if !SECTORS.contains(&a.sector.as_str()) {
                return Err(format!(
                    "asset {:?}: sector {:?} is not one of {}",
                    a.name,
                    a.sector,
                    SECTORS.join(", ")
                ));
            }
            let (addr, len) = match a.cidr.split_once('/') {
                Some((addr, len)) => (addr, Some(len)),
                None => (a.cidr.as_str(), None),
            };
            let ip: IpAddr = addr
                .trim()
                .parse()
                .map_err(|_| format!("asset {:?}: {:?} is not an address", a.name, a.cidr))?;
            let width = if ip.is_ipv4() { 32 } else { 128 };
            let len: u8 = match len {
                None => width,
                Some(l) => l
                    .trim()
                    .parse()
                    .ok()
                    .filter(|l| *l <= width)
                    .ok_or_else(|| format!("asset {:?}: bad prefix in {:?}", a.name, a.cidr))?,
            };
            let len = if ip.is_ipv4() { len + 96 } else { len };
            ranges.push((mapped(ip) & mask(len), len, i));
        }
        ranges.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
        Ok(Self {
            assets: file.assets,
            ranges,
        })
    }

    /// Reads `<root>/assets.toml`; no file is an empty inventory.
    pub fn load(root: &Path) -> Result<Self, NodeError> {
        let path = root.join(ASSETS_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                Self::parse(&text).map_err(|e| NodeError::Setup(format!("{}: {e}", path.display())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(NodeError::Setup(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    }

    pub fn len(&self) -> usize {
        self.assets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.assets.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<&Asset> {
        self.assets.get(index)
    }

    /// The index of the most specific asset containing `ip`.
    pub fn lookup(&self, ip: IpAddr) -> Option<usize> {
        let bits = mapped(ip);
        self.ranges
            .iter()
            .find(|(net, len, _)| bits & mask(*len) == *net)
            .map(|r| r.2)
    }
}
