//! The protocol's tensor encodings for what this server takes and returns: BYTES elements as
//! Triton frames them in raw contents (a 4-byte little-endian length, then the bytes), FP32 as
//! little-endian floats, and the input shapes a list of texts may have.

use crate::Error;

/// Splits raw BYTES contents into their elements; `what` names the tensor in the error.
pub fn split_bytes(raw: &[u8], what: &str) -> Result<Vec<Vec<u8>>, Error> {
    let mut elements = Vec::new();
    let mut rest = raw;
    while !rest.is_empty() {
        let Some((len, tail)) = rest.split_first_chunk::<4>() else {
            return Err(invalid(format!(
                "{what}: element {} has a cut-off length prefix ({} bytes, want 4); each BYTES \
                 element is a 4-byte little-endian length followed by that many bytes",
                elements.len(),
                rest.len()
            )));
        };
        let len = u32::from_le_bytes(*len) as usize;
        if tail.len() < len {
            return Err(invalid(format!(
                "{what}: element {} declares {len} bytes but only {} remain",
                elements.len(),
                tail.len()
            )));
        }
        let (element, tail) = tail.split_at(len);
        elements.push(element.to_vec());
        rest = tail;
    }
    Ok(elements)
}

/// Frames elements as raw BYTES contents.
pub fn join_bytes<'a>(elements: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut raw = Vec::new();
    for element in elements {
        let len = u32::try_from(element.len()).expect("an element is shorter than 4 GiB");
        raw.extend_from_slice(&len.to_le_bytes());
        raw.extend_from_slice(element);
    }
    raw
}

/// FP32 values as raw little-endian contents.
pub fn fp32_bytes(values: impl IntoIterator<Item = f32>) -> Vec<u8> {
    values.into_iter().flat_map(f32::to_le_bytes).collect()
}

/// The elements as UTF-8 texts; `what` names the tensor in the error.
pub fn texts(elements: Vec<Vec<u8>>, what: &str) -> Result<Vec<String>, Error> {
    elements
        .into_iter()
        .enumerate()
        .map(|(i, bytes)| {
            String::from_utf8(bytes).map_err(|e| {
                invalid(format!(
                    "{what}: element {i} is not valid UTF-8 ({e}); texts must be UTF-8"
                ))
            })
        })
        .collect()
}

/// Checks that a list of texts has the shape `[N]` or `[N, 1]` with `N` its element count.
pub fn check_text_shape(shape: &[i64], elements: usize, what: &str) -> Result<(), Error> {
    let n = match shape {
        [n] | [n, 1] => *n,
        _ => {
            return Err(invalid(format!(
                "{what} has shape {shape:?}; it must be [N] or [N, 1] for N texts"
            )));
        }
    };
    if usize::try_from(n) != Ok(elements) {
        return Err(invalid(format!(
            "{what} has shape {shape:?} but holds {elements} element(s)"
        )));
    }
    Ok(())
}

fn invalid(message: String) -> Error {
    Error::InvalidArgument(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_what_it_frames_including_empty_and_multibyte_elements() {
        let elements: [&[u8]; 3] = [b"I feel great", b"", "d\u{e9}j\u{e0} vu".as_bytes()];

        let raw = join_bytes(elements);

        assert_eq!(&raw[..4], &12u32.to_le_bytes());
        assert_eq!(
            split_bytes(&raw, "t").unwrap(),
            elements.map(<[u8]>::to_vec)
        );
    }

    #[test]
    fn refuses_an_element_longer_than_the_bytes_that_remain() {
        let mut raw = join_bytes([b"ok".as_slice()]);
        raw.extend_from_slice(&10u32.to_le_bytes());
        raw.extend_from_slice(b"abc");

        let err = split_bytes(&raw, "input 'text'").unwrap_err().to_string();

        assert!(
            err.contains("element 1 declares 10 bytes but only 3 remain"),
            "{err}"
        );
    }

    #[test]
    fn refuses_a_cut_off_length_prefix() {
        let err = split_bytes(&[1, 0], "t").unwrap_err().to_string();
        assert!(err.contains("cut-off length prefix"), "{err}");
    }

    #[test]
    fn refuses_invalid_utf8_naming_the_element() {
        let err = texts(vec![b"fine".to_vec(), vec![0xff, 0xfe]], "input 'text'")
            .unwrap_err()
            .to_string();
        assert!(err.contains("element 1 is not valid UTF-8"), "{err}");
    }

    #[test]
    fn takes_n_and_n_by_1_shapes_that_match_the_element_count_only() {
        assert!(check_text_shape(&[2], 2, "t").is_ok());
        assert!(check_text_shape(&[2, 1], 2, "t").is_ok());
        let mismatch = check_text_shape(&[3], 2, "t").unwrap_err().to_string();
        assert!(mismatch.contains("holds 2 element(s)"), "{mismatch}");
        for shape in [&[][..], &[1, 2], &[2, 1, 1], &[-1]] {
            assert!(check_text_shape(shape, 2, "t").is_err(), "{shape:?}");
        }
    }

    #[test]
    fn writes_fp32_little_endian() {
        assert_eq!(fp32_bytes([1.0, -2.5]), [0, 0, 128, 63, 0, 0, 32, 192]);
    }
}
