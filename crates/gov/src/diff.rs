//! A line diff of two versions of a proposal's text: a longest common subsequence of lines
//! kept, the rest removed or added. Bounded: a proposal's text comes from other members, and a
//! hostile one must not make a diff take gigabytes.

/// Most cells the LCS table of one diff may have (lines removed × lines added, after the common
/// head and tail are set aside): a proposal's text comes from other members, and a hostile one
/// must not make a page take gigabytes. Beyond, the differing middle shows as removed, then added.
pub const MAX_DIFF_CELLS: usize = 4_000_000;

/// One line of a diff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffLine<'a> {
    Same(&'a str),
    Removed(&'a str),
    Added(&'a str),
}

/// The lines of `new` against those of `old`: a longest common subsequence of lines kept, the
/// rest removed or added (removals first where both happen at one place). The common head and
/// tail are set aside first; a middle too large for [`MAX_DIFF_CELLS`] shows as removed whole,
/// then added whole.
pub fn line_diff<'a>(old: &'a str, new: &'a str) -> Vec<DiffLine<'a>> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a_mid, b_mid) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let mut out: Vec<DiffLine<'a>> = a[..head].iter().map(|l| DiffLine::Same(l)).collect();
    if a_mid.len().saturating_mul(b_mid.len()) > MAX_DIFF_CELLS {
        out.extend(a_mid.iter().map(|l| DiffLine::Removed(l)));
        out.extend(b_mid.iter().map(|l| DiffLine::Added(l)));
    } else {
        lcs_diff(a_mid, b_mid, &mut out);
    }
    out.extend(a[a.len() - tail..].iter().map(|l| DiffLine::Same(l)));
    out
}

/// Appends the diff of `a` to `b` by their longest common subsequence.
fn lcs_diff<'a>(a: &[&'a str], b: &[&'a str], out: &mut Vec<DiffLine<'a>>) {
    let (n, m) = (a.len(), b.len());
    let width = m + 1;
    // common[i * width + j]: the length of the LCS of a[i..] and b[j..].
    let mut common = vec![0u32; (n + 1) * width];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i * width + j] = if a[i] == b[j] {
                common[(i + 1) * width + j + 1] + 1
            } else {
                common[(i + 1) * width + j].max(common[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if a[i] == b[j] {
            out.push(DiffLine::Same(a[i]));
            i += 1;
            j += 1;
        } else if common[(i + 1) * width + j] >= common[i * width + j + 1] {
            out.push(DiffLine::Removed(a[i]));
            i += 1;
        } else {
            out.push(DiffLine::Added(b[j]));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|l| DiffLine::Removed(l)));
    out.extend(b[j..].iter().map(|l| DiffLine::Added(l)));
}

#[cfg(test)]
mod tests {
    use super::DiffLine::{Added, Removed, Same};
    use super::*;

    #[test]
    fn a_line_diff_keeps_the_common_lines_and_marks_the_rest() {
        let old = "Members acknowledge\nemergency requests\nwithin 30 minutes.\nSigned.";
        let new =
            "Members acknowledge\nemergency requests\nwithin 20 minutes,\nday and night.\nSigned.";
        assert_eq!(
            line_diff(old, new),
            vec![
                Same("Members acknowledge"),
                Same("emergency requests"),
                Removed("within 30 minutes."),
                Added("within 20 minutes,"),
                Added("day and night."),
                Same("Signed."),
            ]
        );
    }

    #[test]
    fn a_line_diff_finds_the_longest_common_lines_not_just_head_and_tail() {
        let diff = line_diff("a\nb\nc\nd\ne", "x\nb\ny\nd\nz");
        let kept: Vec<&str> = diff
            .iter()
            .filter_map(|l| match l {
                Same(t) => Some(*t),
                _ => None,
            })
            .collect();
        assert_eq!(kept, ["b", "d"]);
        assert_eq!(diff.iter().filter(|l| matches!(l, Removed(_))).count(), 3);
        assert_eq!(diff.iter().filter(|l| matches!(l, Added(_))).count(), 3);
    }

    #[test]
    fn a_line_diff_of_empty_or_equal_texts() {
        assert_eq!(line_diff("", "one"), vec![Added("one")]);
        assert_eq!(line_diff("one", ""), vec![Removed("one")]);
        assert_eq!(line_diff("a\nb", "a\nb"), vec![Same("a"), Same("b")]);
    }

    #[test]
    fn a_huge_middle_is_shown_removed_then_added_without_a_huge_table() {
        let old: String = (0..3000).map(|i| format!("old {i}\n")).collect();
        let new: String = (0..3000).map(|i| format!("new {i}\n")).collect();
        let diff = line_diff(&old, &new);
        assert_eq!(diff.len(), 6000);
        assert!(diff[..3000].iter().all(|l| matches!(l, Removed(_))));
        assert!(diff[3000..].iter().all(|l| matches!(l, Added(_))));
    }
}
