//! STIX 2.1 timestamps (RFC 3339, UTC, `Z` suffix, optional fractional seconds).
//!
//! A [`Timestamp`] keeps the exact text it was parsed from, so objects round-trip unchanged,
//! and orders by the instant it denotes (to the nanosecond), so `2020-01-01T00:00:00Z` and
//! `2020-01-01T00:00:00.000Z` compare equal.

use std::cmp::Ordering;
use std::fmt;

/// A UTC instant with the text it was written as.
#[derive(Clone, Debug)]
pub struct Timestamp {
    text: String,
    /// Seconds since 1970-01-01T00:00:00Z.
    secs: i64,
    /// Nanoseconds within the second (0..1e9). Digits beyond nanoseconds are ignored.
    nanos: u32,
}

/// Why a string is not a STIX timestamp.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a STIX timestamp (expected YYYY-MM-DDTHH:MM:SS[.s]Z): {0:?}")]
pub struct TimestampError(pub String);

impl Timestamp {
    /// Parses the STIX form: `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, upper-case `T` and `Z`.
    pub fn parse(s: &str) -> Result<Self, TimestampError> {
        let err = || TimestampError(s.to_owned());
        let b = s.as_bytes();
        if b.len() < 20
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
        {
            return Err(err());
        }
        if *b.last().unwrap() != b'Z' {
            return Err(err());
        }
        let num = |r: std::ops::Range<usize>| -> Result<u32, TimestampError> {
            let part = &b[r];
            if !part.iter().all(u8::is_ascii_digit) {
                return Err(err());
            }
            Ok(part
                .iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(err());
        }
        // Leap seconds (60) are legal in RFC 3339; they order as the next second's start.
        if hour > 23 || minute > 59 || second > 60 {
            return Err(err());
        }
        let mut nanos = 0u32;
        let rest = &b[19..b.len() - 1];
        if !rest.is_empty() {
            if rest[0] != b'.' || rest.len() < 2 || !rest[1..].iter().all(u8::is_ascii_digit) {
                return Err(err());
            }
            for (i, d) in rest[1..].iter().take(9).enumerate() {
                nanos += u32::from(d - b'0') * 10u32.pow(8 - i as u32);
            }
        }
        let days = days_from_civil(i64::from(year), month, day);
        let secs =
            days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
        Ok(Self {
            text: s.to_owned(),
            secs,
            nanos,
        })
    }

    /// The instant `secs` seconds and `nanos` nanoseconds after the Unix epoch, written with
    /// microsecond precision (the precision TAXII servers commonly use for `date_added`).
    pub fn from_unix(secs: i64, nanos: u32) -> Self {
        let nanos = nanos - nanos % 1000;
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let text = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
            sod / 3600,
            (sod / 60) % 60,
            sod % 60,
            nanos / 1000
        );
        Self { text, secs, nanos }
    }

    /// Microseconds since the Unix epoch (truncated).
    pub fn unix_micros(&self) -> i64 {
        self.secs * 1_000_000 + i64::from(self.nanos / 1000)
    }

    /// The timestamp for a count of microseconds since the Unix epoch.
    pub fn from_unix_micros(micros: i64) -> Self {
        Self::from_unix(
            micros.div_euclid(1_000_000),
            (micros.rem_euclid(1_000_000) * 1000) as u32,
        )
    }

    /// The current time, from the system clock.
    pub fn now() -> Self {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Self::from_unix(d.as_secs() as i64, d.subsec_nanos())
    }

    /// The text this timestamp was parsed from (or formatted as).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Seconds since the epoch and nanoseconds within the second.
    pub fn unix(&self) -> (i64, u32) {
        (self.secs, self.nanos)
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Timestamp {}
impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.secs, self.nanos).cmp(&(other.secs, other.nanos))
    }
}
impl std::hash::Hash for Timestamp {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.secs, self.nanos).hash(state);
    }
}
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
impl std::str::FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}
impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

fn is_leap(y: u32) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's civil-days algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_stix_forms() {
        let t = Timestamp::parse("2016-05-12T08:17:27.000Z").unwrap();
        assert_eq!(t.unix(), (1_463_041_047, 0));
        assert_eq!(t, Timestamp::parse("2016-05-12T08:17:27Z").unwrap());
        let t = Timestamp::parse("2016-05-12T08:17:27.123456789Z").unwrap();
        assert_eq!(t.unix().1, 123_456_789);
        assert_eq!(t.as_str(), "2016-05-12T08:17:27.123456789Z");
    }

    #[test]
    fn rejects_what_is_not_stix() {
        for bad in [
            "2016-05-12 08:17:27Z",
            "2016-05-12T08:17:27",
            "2016-05-12T08:17:27+00:00",
            "2016-13-12T08:17:27Z",
            "2015-02-29T08:17:27Z",
            "2016-05-12T24:00:00Z",
            "2016-05-12T08:17:27.Z",
            "2016-05-12t08:17:27Z",
            "",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad} accepted");
        }
        assert!(Timestamp::parse("2016-02-29T00:00:00Z").is_ok());
    }

    proptest! {
        #[test]
        fn formatting_round_trips(micros in -2_000_000_000_000_000i64..8_000_000_000_000_000) {
            let t = Timestamp::from_unix_micros(micros);
            prop_assert_eq!(t.unix_micros(), micros);
            let again = Timestamp::parse(t.as_str()).unwrap();
            prop_assert_eq!(again.unix_micros(), micros);
        }
    }
}
