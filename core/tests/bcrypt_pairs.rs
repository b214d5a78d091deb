//! The paired bcrypt (`auth_sync_core::password::pairs`) against the `bcrypt` crate: for random
//! passwords of 0 to 72 bytes of UTF-8, random salts and costs 4 to 6, each lane of a pair gives
//! the crate's hash of its own password, byte for byte.
//!
//! (The encryption and key schedule are compared with the `blowfish` crate in pairs.rs's unit
//! tests, where the state is visible.)

use auth_sync_core::password::pairs::hash_pair_with_salts;
use auth_sync_core::password::MAX_PASSWORD_BYTES;
use proptest::prelude::*;

fn reference(password: &str, cost: u32, salt: [u8; 16]) -> String {
    bcrypt::hash_with_salt(password, cost, salt)
        .expect("the bcrypt crate hashes every password of at most 72 bytes")
        .format_for_version(bcrypt::Version::TwoA)
}

/// Any chars (NUL and multi-byte ones included), as many as fit in 72 bytes.
fn unicode_password() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..=MAX_PASSWORD_BYTES).prop_map(|chars| {
        let mut s = String::new();
        for c in chars {
            if s.len() + c.len_utf8() > MAX_PASSWORD_BYTES {
                break;
            }
            s.push(c);
        }
        s
    })
}

/// Passwords of 0 to 72 bytes of UTF-8: printable ASCII of every length (the 71- and 72-byte
/// ones are where the trailing NUL is kept or cut), and arbitrary chars.
fn password() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,72}",
        unicode_password(),
        // (lengths near the limit, more often than the two above give them)
        "[ -~]{70,72}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn each_lane_equals_the_bcrypt_crate(
        a in password(),
        b in password(),
        salts in any::<[[u8; 16]; 2]>(),
        cost in 4u32..=6,
    ) {
        prop_assume!(a != b);
        prop_assert!(a.len() <= MAX_PASSWORD_BYTES && b.len() <= MAX_PASSWORD_BYTES);
        let got = hash_pair_with_salts([&a, &b], cost, salts);
        let want = [reference(&a, cost, salts[0]), reference(&b, cost, salts[1])];
        prop_assert_eq!(got[0].as_deref(), Some(want[0].as_str()), "lane 0: {:?}", a);
        prop_assert_eq!(got[1].as_deref(), Some(want[1].as_str()), "lane 1: {:?}", b);
    }
}
