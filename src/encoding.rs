//! Byte and text encodings used by several protocols: hex digits and Python's `quote_plus`.

/// Bytes as hex digits, upper- or lower-case.
#[must_use]
pub(crate) fn hex(bytes: &[u8], upper: bool) -> String {
    const LOWER: &[u8; 16] = b"0123456789abcdef";
    const UPPER: &[u8; 16] = b"0123456789ABCDEF";
    let digits = if upper { UPPER } else { LOWER };
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(digits[usize::from(b >> 4)]));
        s.push(char::from(digits[usize::from(b & 15)]));
    }
    s
}

/// Python's `urllib.parse.quote_plus`: unreserved characters kept, space as `+`, the rest
/// percent-encoded with upper-case hex.
#[must_use]
pub fn quote_plus(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_digits() {
        assert_eq!(hex(&[0x00, 0xab, 0x7f], false), "00ab7f");
        assert_eq!(hex(&[0x00, 0xab, 0x7f], true), "00AB7F");
    }

    #[test]
    fn quoting() {
        assert_eq!(
            quote_plus("a b=\"c\",d/e:f(g)+h$i~j"),
            "a+b%3D%22c%22%2Cd%2Fe%3Af%28g%29%2Bh%24i~j"
        );
    }
}
