//! Skipping the value of a key we do not know (newer gateways add fields): any msgpack value,
//! nested any way, walked without recursion and under the same depth limit as everything else.

use super::MAX_DEPTH;
use super::error::{Error, Result};
use super::reader::Reader;

/// Moves `r` past one value. Strings are not checked for UTF-8: their text is never used.
pub(super) fn value(r: &mut Reader<'_>) -> Result<()> {
    // Values still to skip in each open container, outermost first; `left` is the innermost.
    let mut open = [0usize; MAX_DEPTH];
    let mut levels = 0;
    let mut left = 1usize;
    loop {
        while left == 0 {
            if levels == 0 {
                return Ok(());
            }
            levels -= 1;
            left = open[levels];
            r.leave();
        }
        left -= 1;
        let start = r.pos();
        let m = r.byte()?;
        let payload = match m {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => 0,
            0xcc | 0xd0 => 1,
            0xcd | 0xd1 => 2,
            0xca | 0xce | 0xd2 => 4,
            0xcb | 0xcf | 0xd3 => 8,
            0xa0..=0xbf => usize::from(m & 0x1f),
            0xd9 | 0xc4 => r.len8()?,
            0xda | 0xc5 => r.len16()?,
            0xdb | 0xc6 => r.len32()?,
            _ => {
                if let Some(n) = r.array_len_after(m)? {
                    open_container(r, &mut open, &mut levels, &mut left, n)?;
                } else if let Some(n) = r.map_len_after(m)? {
                    let n = n.checked_mul(2).ok_or_else(Error::eof)?;
                    open_container(r, &mut open, &mut levels, &mut left, n)?;
                } else if let Some(n) = r.ext_len_after(m)? {
                    // An extension is a level of its own to rmp-serde; its payload is opaque.
                    r.enter()?;
                    r.take(1 + n)?;
                    r.leave();
                } else {
                    return Err(r.invalid_type(start, "a msgpack value"));
                }
                continue;
            }
        };
        r.take(payload)?;
    }
}

/// Saves the enclosing container's count and makes the new one's `n` values the current.
fn open_container(
    r: &mut Reader<'_>,
    open: &mut [usize; MAX_DEPTH],
    levels: &mut usize,
    left: &mut usize,
    n: usize,
) -> Result<()> {
    r.enter()?;
    let slot = open.get_mut(*levels).ok_or_else(Error::too_deep)?;
    *slot = *left;
    *levels += 1;
    *left = n;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skip(bytes: &[u8]) -> Option<usize> {
        let mut r = Reader::new(bytes);
        value(&mut r).ok().map(|()| r.pos())
    }

    #[test]
    fn walks_nested_values_and_rejects_truncation() {
        // {"a": [1, "xy", ext4], "b": nil}, then a byte that is not part of it.
        let v = [
            0x82, 0xa1, b'a', 0x93, 0x01, 0xa2, b'x', b'y', 0xd6, 0xff, 0, 0, 0, 1, 0xa1, b'b',
            0xc0,
        ];
        assert_eq!(skip(&v), Some(v.len()));
        assert_eq!(skip(&[&v[..], &[0x01]].concat()), Some(v.len()));
        for cut in 0..v.len() {
            assert_eq!(skip(&v[..cut]), None, "cut at {cut}");
        }
        assert_eq!(skip(&[0xc1]), None);
        assert_eq!(skip(&[0x90]), Some(1));
        assert_eq!(skip(&[0x80]), Some(1));
    }

    #[test]
    fn stops_at_the_depth_limit_without_recursing() {
        let mut deep = vec![0x91; MAX_DEPTH - 1];
        deep.push(0xc0);
        assert_eq!(skip(&deep), Some(deep.len()));
        let too_deep = vec![0x91; 1_000_000];
        assert_eq!(skip(&too_deep), None);
        // An extension counts as a level, as it did for rmp-serde.
        let mut ext = vec![0x91; MAX_DEPTH - 1];
        ext.extend_from_slice(&[0xd4, 0x01, 0x00]);
        assert_eq!(skip(&ext), None);
    }
}
