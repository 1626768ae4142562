//! "Did you mean …?": the nearest of some known names to a typo (profiles, regions).

/// Edit distance (insertions, deletions, substitutions, and swaps of two neighbours: the
/// optimal string alignment distance) between `a` and `b`, by characters, ignoring ASCII
/// case. At most 64 characters of each are compared: names are short.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(64).map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().take(64).map(|c| c.to_ascii_lowercase()).collect();
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 0..a.len() {
        cur[0] = i + 1;
        for j in 0..b.len() {
            let subst = prev[j] + usize::from(a[i] != b[j]);
            let mut d = subst.min(prev[j + 1] + 1).min(cur[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                d = d.min(before[j - 1] + 1);
            }
            cur[j + 1] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate nearest to `typo`, when it is near enough to be a typo of it: one edit for
/// names of up to four characters, two up to eight, three beyond. Ties go to the first.
#[must_use]
pub(crate) fn nearest<'a>(
    typo: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let allowed = match typo.chars().count() {
        0 => return None,
        1..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = distance(typo, c);
        if d <= allowed && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("Session", "session"), 0);
        assert_eq!(distance("zoë", "zoe"), 1);
        assert_eq!(distance("frankfrut", "frankfurt"), 1);
        assert_eq!(distance("ab", "ba"), 1);
    }

    #[test]
    fn typos_and_strangers() {
        let profiles = ["DEFAULT", "my-session", "prod-api", "dev"];
        assert_eq!(nearest("my-sesion", profiles), Some("my-session"));
        assert_eq!(nearest("MY-SESSION", profiles), Some("my-session"));
        assert_eq!(nearest("dvv", profiles), Some("dev"));
        assert_eq!(nearest("staging", profiles), None);
        assert_eq!(nearest("", profiles), None);
        assert_eq!(nearest("x", ["y", "z"]), Some("y"));
        let regions = ["us-ashburn-1", "eu-frankfurt-1", "iad", "fra"];
        assert_eq!(nearest("us-ashburn1", regions), Some("us-ashburn-1"));
        assert_eq!(nearest("eu-frankfrut-1", regions), Some("eu-frankfurt-1"));
        assert_eq!(nearest("nowhere", regions), None);
    }
}
