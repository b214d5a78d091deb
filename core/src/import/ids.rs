//! New user ids: random (version 4) UUIDs from the operating system's CSPRNG, as the Auth server
//! gives its users, made in one batch for a whole import.

/// `n` version 4 UUIDs (RFC 9562: 122 random bits, the version and variant bits set by
/// `uuid::Builder::from_random_bytes`), as bytes. The randomness comes from the OS in one
/// request, instead of one request per id (which `uuid::Uuid::new_v4` would make).
pub fn random_uuids(n: usize) -> Result<Vec<[u8; 16]>, getrandom::Error> {
    let mut bytes = vec![0u8; n.saturating_mul(16)];
    getrandom::fill(&mut bytes)?;
    Ok(bytes
        .chunks_exact(16)
        .map(|c| {
            let mut random = [0u8; 16];
            random.copy_from_slice(c);
            uuid::Builder::from_random_bytes(random)
                .into_uuid()
                .into_bytes()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn version_and_variant_bits() {
        let ids = random_uuids(1000).unwrap();
        assert_eq!(ids.len(), 1000);
        for id in &ids {
            assert_eq!(id[6] >> 4, 4, "version nibble");
            assert_eq!(id[8] >> 6, 0b10, "variant bits");
        }
    }

    #[test]
    fn distinct_and_not_constant() {
        let ids = random_uuids(10_000).unwrap();
        let set: HashSet<_> = ids.iter().collect();
        assert_eq!(set.len(), ids.len());
        // every random bit position takes both values across the batch
        let (mut ones, mut zeros) = ([false; 128], [false; 128]);
        for id in &ids {
            for bit in 0..128 {
                if id[bit / 8] >> (7 - bit % 8) & 1 == 1 {
                    ones[bit] = true;
                } else {
                    zeros[bit] = true;
                }
            }
        }
        let fixed = [48, 49, 50, 51, 64, 65];
        for bit in (0..128).filter(|b| !fixed.contains(b)) {
            assert!(ones[bit] && zeros[bit], "bit {bit} never changes");
        }
    }

    #[test]
    fn the_uuid_crate_reads_them_as_random_rfc_9562_uuids() {
        for id in random_uuids(100).unwrap() {
            let u = uuid::Uuid::from_bytes(id);
            assert_eq!(u.get_version(), Some(uuid::Version::Random));
            assert_eq!(u.get_variant(), uuid::Variant::RFC4122);
        }
    }

    #[test]
    fn none_asked() {
        assert!(random_uuids(0).unwrap().is_empty());
    }
}
