//! The little DER reading `oci-token` needs (key and certificate fields): one bounded
//! tag-length-value step at a time, never trusting a length.

/// One DER TLV: `(tag, value, rest)`; `None` when the input is short or the length is
/// indefinite or longer than 4 bytes.
#[must_use]
pub fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[count..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The TLVs of a constructed value's contents, in order (stops at the first malformed one).
pub fn items(mut contents: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    std::iter::from_fn(move || {
        let (tag, value, rest) = tlv(contents)?;
        contents = rest;
        Some((tag, value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        assert_eq!(tlv(&[0x02, 0x01, 0x05]), Some((0x02, &[5u8][..], &[][..])));
        assert_eq!(
            tlv(&[0x04, 0x81, 0x01, 0xaa, 0xbb]),
            Some((0x04, &[0xaa][..], &[0xbb][..]))
        );
        assert_eq!(tlv(&[0x04, 0x80]), None, "indefinite length");
        assert_eq!(
            tlv(&[0x04, 0x85, 1, 1, 1, 1, 1]),
            None,
            "over 4 length bytes"
        );
        assert_eq!(tlv(&[0x04, 0x05, 1]), None, "short");
        let v: Vec<_> = items(&[0x02, 0x01, 0x01, 0x02, 0x01, 0x02]).collect();
        assert_eq!(v.len(), 2);
    }
}
