//! Type names and identifiers (STIX 2.1 §2.9 and §3.1): the checks `StixObject::from_map`
//! runs on `type` and `id` before anything else, and every reference property runs on its value.

use crate::stix::ValidationError;

/// A type name: 3–250 characters of lower-case ASCII letters, digits and single hyphens.
pub(crate) fn check_type_name(type_name: &str, id: Option<&str>) -> Result<(), ValidationError> {
    let ok = (3..=250).contains(&type_name.len())
        && type_name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !type_name.starts_with('-')
        && !type_name.ends_with('-')
        && !type_name.contains("--");
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new(
            id,
            "type",
            format!("{type_name:?} is not a valid type name (3-250 chars of a-z, 0-9, '-')"),
        ))
    }
}

/// An identifier `type--UUID`; when `expected_type` is given the prefix must match it.
pub(crate) fn check_identifier(
    value: &str,
    expected_type: Option<&str>,
    object_id: Option<&str>,
    property: &str,
) -> Result<(), ValidationError> {
    let bad = |why: String| ValidationError::new(object_id, property, why);
    let Some((prefix, uuid)) = value.split_once("--") else {
        return Err(bad(format!(
            "{value:?} is not an identifier of the form type--UUID"
        )));
    };
    if let Some(t) = expected_type
        && prefix != t
    {
        return Err(bad(format!("identifier {value:?} must start with {t:?}--")));
    }
    check_type_name(prefix, object_id)
        .map_err(|_| bad(format!("identifier {value:?} has an invalid type part")))?;
    if !is_uuid(uuid) {
        return Err(bad(format!("identifier {value:?} does not end in a UUID")));
    }
    Ok(())
}

/// RFC 4122 textual form: 8-4-4-4-12 hex digits.
fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}
