//! bcrypt (`$2a$`) computed two passwords at a time on one thread: EksBlowfish in pairs.
//!
//! # Why it exists
//! Throughput for bulk imports. `bulk_create_users` hashes every plaintext password of a file at
//! cost 10 (the Auth server's), so an import of thousands of users is mostly bcrypt. bcrypt's cost
//! is EksBlowfish's key schedule: thousands of Blowfish encryptions, each a chain of 16 rounds
//! whose S-box lookups wait on the round before. One chain leaves most of a core idle; two
//! independent chains, interleaved round by round, fill it, and give more hashes per CPU second
//! than the `bcrypt` crate one at a time (the README's benchmark table has the figure; measure
//! with `cargo run --release -p auth_sync_core --example hash_timing`). [`super::hash_all`] runs one
//! pair at a time per worker thread. Single hashes ([`super::hash_bcrypt`]) and every
//! verification still use the `bcrypt` crate.
//!
//! The result is the standard bcrypt hash, byte for byte, and a key schedule can be abandoned
//! between two of its rounds (a cancelled import stops at once whatever the cost).
//!
//! # How it is tested against the crates
//! * The hashes equal the `bcrypt` crate's for the same password, salt and cost: fixed cases
//!   here, and a property test (`core/tests/bcrypt_pairs.rs`) over random passwords of 0 to 72
//!   bytes of UTF-8, random salts and costs 4 to 6, a different password in each lane of a pair;
//!   the hashes also verify with `pwhash`, a third implementation.
//! * The Blowfish encryption itself equals the `blowfish` crate's (feature `bcrypt`): property
//!   tests below encrypt random blocks under the initial state ([`Blowfish::bc_init_state`]) and
//!   under random salted key schedules, in both lanes, and compare with `bc_encrypt`.
//! * The initial state is the published table in `blowfish_table.rs`, whose own test recomputes it
//!   from the digits of pi.
//!
//! [`Blowfish::bc_init_state`]: https://docs.rs/blowfish/latest/blowfish/struct.Blowfish.html

use base64::engine::general_purpose::{GeneralPurpose, NO_PAD};
use base64::{alphabet, Engine as _};

use super::blowfish_table;
use std::sync::atomic::{AtomicBool, Ordering};
use zeroize::{Zeroize, Zeroizing};

/// bcrypt's lowest and highest cost.
pub const MIN_COST: u32 = 4;
pub const MAX_COST: u32 = 31;
/// bcrypt reads at most this many bytes of a password.
pub const MAX_PASSWORD_BYTES: usize = 72;

/// The Blowfish state: the P-array and the four S-boxes. Keyed with a password, it is zeroed
/// when dropped.
struct State {
    p: [u32; 18],
    s: [[u32; 256]; 4],
}

impl State {
    /// Blowfish's initial state (the digits of pi), before any key.
    fn initial() -> State {
        State {
            p: blowfish_table::P,
            s: blowfish_table::S,
        }
    }
}

impl Drop for State {
    fn drop(&mut self) {
        self.p.zeroize();
        self.s.zeroize();
    }
}

#[inline(always)]
fn f(s: &[[u32; 256]; 4], x: u32) -> u32 {
    (s[0][(x >> 24) as usize].wrapping_add(s[1][((x >> 16) & 0xff) as usize])
        ^ s[2][((x >> 8) & 0xff) as usize])
        .wrapping_add(s[3][(x & 0xff) as usize])
}

/// Two Blowfish encryptions, one per state, their rounds interleaved.
#[inline(always)]
fn encrypt2(a: &State, b: &State, x: (u32, u32), y: (u32, u32)) -> ((u32, u32), (u32, u32)) {
    let (mut l1, mut r1) = x;
    let (mut l2, mut r2) = y;
    let mut i = 0;
    while i < 16 {
        l1 ^= a.p[i];
        l2 ^= b.p[i];
        r1 ^= f(&a.s, l1) ^ a.p[i + 1];
        r2 ^= f(&b.s, l2) ^ b.p[i + 1];
        l1 ^= f(&a.s, r1);
        l2 ^= f(&b.s, r2);
        i += 2;
    }
    ((r1 ^ a.p[17], l1 ^ a.p[16]), (r2 ^ b.p[17], l2 ^ b.p[16]))
}

/// The next 4 bytes of `data`, cyclically, as a big-endian word.
fn stream_word(data: &[u8], pos: &mut usize) -> u32 {
    let mut w = 0u32;
    for _ in 0..4 {
        w = (w << 8) | u32::from(data[*pos]);
        *pos = (*pos + 1) % data.len();
    }
    w
}

/// Blowfish's key expansion for both states at once; with salts, bcrypt's salted variant.
fn expand2(st: &mut [State; 2], keys: [&[u8]; 2], salts: Option<[&[u8; 16]; 2]>) {
    for (s, key) in st.iter_mut().zip(keys) {
        let mut j = 0;
        for p in s.p.iter_mut() {
            *p ^= stream_word(key, &mut j);
        }
    }
    let mut js = [0usize; 2];
    let mut x = [(0u32, 0u32); 2];
    let mut next = |x: &mut [(u32, u32); 2], st: &[State; 2]| {
        if let Some(salts) = salts {
            for k in 0..2 {
                x[k].0 ^= stream_word(salts[k], &mut js[k]);
                x[k].1 ^= stream_word(salts[k], &mut js[k]);
            }
        }
        let (a, b) = encrypt2(&st[0], &st[1], x[0], x[1]);
        x[0] = a;
        x[1] = b;
    };
    for i in (0..18).step_by(2) {
        next(&mut x, st);
        for k in 0..2 {
            st[k].p[i] = x[k].0;
            st[k].p[i + 1] = x[k].1;
        }
    }
    for sb in 0..4 {
        for i in (0..256).step_by(2) {
            next(&mut x, st);
            for k in 0..2 {
                st[k].s[sb][i] = x[k].0;
                st[k].s[sb][i + 1] = x[k].1;
            }
        }
    }
}

/// The raw 24-byte bcrypt output for two (key, salt) pairs at the same cost. Keys are the
/// password bytes with a trailing NUL, at most 72 bytes, and never empty. `None` when `stop`
/// became true: it is read between rounds of the key schedule, so that a cancel is acted on
/// within one round whatever the cost.
fn bcrypt_raw2(
    cost: u32,
    salts: [&[u8; 16]; 2],
    keys: [&[u8]; 2],
    stop: &AtomicBool,
) -> Option<[[u8; 24]; 2]> {
    let mut st = [State::initial(), State::initial()];
    expand2(&mut st, keys, Some(salts));
    for _ in 0..(1u64 << cost) {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        expand2(&mut st, keys, None);
        expand2(&mut st, [&salts[0][..], &salts[1][..]], None);
    }
    let mut magic = [0u32; 6];
    for (w, b) in magic
        .iter_mut()
        .zip(b"OrpheanBeholderScryDoubt".chunks_exact(4))
    {
        *w = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    }
    let mut c = [magic; 2];
    for _ in 0..64 {
        for i in (0..6).step_by(2) {
            let (a, b) = encrypt2(
                &st[0],
                &st[1],
                (c[0][i], c[0][i + 1]),
                (c[1][i], c[1][i + 1]),
            );
            (c[0][i], c[0][i + 1]) = a;
            (c[1][i], c[1][i + 1]) = b;
        }
    }
    Some(c.map(|words| {
        let mut out = [0u8; 24];
        for (o, w) in out.chunks_exact_mut(4).zip(words) {
            o.copy_from_slice(&w.to_be_bytes());
        }
        out
    }))
}

/// bcrypt's key: the password's bytes and a NUL, cut to 72 bytes (zeroed when dropped).
/// `None` over 72 bytes.
fn key_of(password: &str) -> Option<Zeroizing<Vec<u8>>> {
    if password.len() > MAX_PASSWORD_BYTES {
        return None;
    }
    let mut key = Zeroizing::new(Vec::with_capacity(password.len() + 1));
    key.extend_from_slice(password.as_bytes());
    key.push(0);
    key.truncate(MAX_PASSWORD_BYTES);
    Some(key)
}

const BCRYPT_B64: GeneralPurpose = GeneralPurpose::new(&alphabet::BCRYPT, NO_PAD);

fn format_2a(cost: u32, salt: &[u8; 16], raw: &[u8; 24]) -> String {
    format!(
        "$2a${cost:02}${}{}",
        BCRYPT_B64.encode(salt),
        BCRYPT_B64.encode(&raw[..23])
    )
}

/// Two `$2a$` hashes of `passwords` at `cost` with the given salts, computed together. `None`
/// for a password over 72 bytes (the other is still hashed) or when the cost is outside 4..=31.
pub fn hash_pair_with_salts(
    passwords: [&str; 2],
    cost: u32,
    salts: [[u8; 16]; 2],
) -> [Option<String>; 2] {
    let never = AtomicBool::new(false);
    hash_pair_with_salts_until(passwords, cost, salts, &never).unwrap_or([None, None])
}

/// [`hash_pair_with_salts`], given up (`None`) as soon as `stop` is seen true.
pub fn hash_pair_with_salts_until(
    passwords: [&str; 2],
    cost: u32,
    salts: [[u8; 16]; 2],
    stop: &AtomicBool,
) -> Option<[Option<String>; 2]> {
    if !(MIN_COST..=MAX_COST).contains(&cost) {
        return Some([None, None]);
    }
    let keys = passwords.map(key_of);
    // (a password that is refused is replaced by a dummy key so that the pair still runs)
    let k0 = keys[0].as_ref().map_or(&[0u8][..], |k| k.as_slice());
    let k1 = keys[1].as_ref().map_or(&[0u8][..], |k| k.as_slice());
    let raw = Zeroizing::new(bcrypt_raw2(cost, [&salts[0], &salts[1]], [k0, k1], stop)?);
    Some([
        keys[0]
            .as_ref()
            .map(|_| format_2a(cost, &salts[0], &raw[0])),
        keys[1]
            .as_ref()
            .map(|_| format_2a(cost, &salts[1], &raw[1])),
    ])
}

/// Two `$2a$` hashes with fresh random salts from the OS CSPRNG (see [`hash_pair_with_salts`]).
pub fn hash_pair(passwords: [&str; 2], cost: u32) -> Result<[Option<String>; 2], getrandom::Error> {
    let never = AtomicBool::new(false);
    Ok(hash_pair_until(passwords, cost, &never)?.unwrap_or([None, None]))
}

/// [`hash_pair`], given up (`Ok(None)`) as soon as `stop` is seen true.
pub fn hash_pair_until(
    passwords: [&str; 2],
    cost: u32,
    stop: &AtomicBool,
) -> Result<Option<[Option<String>; 2]>, getrandom::Error> {
    let mut salts = [[0u8; 16]; 2];
    getrandom::fill(&mut salts[0])?;
    getrandom::fill(&mut salts[1])?;
    Ok(hash_pair_with_salts_until(passwords, cost, salts, stop))
}

#[cfg(test)]
mod tests {
    use super::*;

    use blowfish::Blowfish;
    use proptest::prelude::*;

    /// Both lanes of [`encrypt2`], each compared with the `blowfish` crate under its own state.
    fn assert_lanes_match(
        st: &[State; 2],
        theirs: &[Blowfish; 2],
        blocks: &[[(u32, u32); 2]],
    ) -> Result<(), TestCaseError> {
        for &[x, y] in blocks {
            let (a, b) = encrypt2(&st[0], &st[1], x, y);
            prop_assert_eq!(
                [a.0, a.1],
                theirs[0].bc_encrypt([x.0, x.1]),
                "lane 0, {:08x?}",
                x
            );
            prop_assert_eq!(
                [b.0, b.1],
                theirs[1].bc_encrypt([y.0, y.1]),
                "lane 1, {:08x?}",
                y
            );
        }
        Ok(())
    }

    fn blocks() -> impl Strategy<Value = Vec<[(u32, u32); 2]>> {
        prop::collection::vec(any::<[(u32, u32); 2]>(), 1..8)
    }

    /// bcrypt's keys: 1 to 72 bytes (a password and its NUL), any bytes.
    fn key() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(any::<u8>(), 1..=MAX_PASSWORD_BYTES)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The initial state and the round function: unkeyed encryption equals the crate's.
        #[test]
        fn encryption_under_the_initial_state_matches_the_blowfish_crate(blocks in blocks()) {
            let st = [State::initial(), State::initial()];
            let theirs = [Blowfish::bc_init_state(), Blowfish::bc_init_state()];
            assert_lanes_match(&st, &theirs, &blocks)?;
        }

        /// The key schedule: bcrypt's salted expansion, then `rounds` of EksBlowfish's
        /// alternating key and salt expansions, a different key and salt in each lane.
        #[test]
        fn key_schedules_match_the_blowfish_crate(
            keys in [key(), key()],
            salts in any::<[[u8; 16]; 2]>(),
            rounds in 0usize..3,
            blocks in blocks(),
        ) {
            let mut st = [State::initial(), State::initial()];
            let mut theirs = [Blowfish::bc_init_state(), Blowfish::bc_init_state()];
            expand2(&mut st, [&keys[0], &keys[1]], Some([&salts[0], &salts[1]]));
            for (t, (key, salt)) in theirs.iter_mut().zip(keys.iter().zip(&salts)) {
                t.salted_expand_key(salt, key);
            }
            for _ in 0..rounds {
                expand2(&mut st, [&keys[0], &keys[1]], None);
                expand2(&mut st, [&salts[0][..], &salts[1][..]], None);
                for (t, (key, salt)) in theirs.iter_mut().zip(keys.iter().zip(&salts)) {
                    t.bc_expand_key(key);
                    t.bc_expand_key(salt);
                }
            }
            assert_lanes_match(&st, &theirs, &blocks)?;
        }
    }

    fn reference(password: &str, cost: u32, salt: [u8; 16]) -> String {
        bcrypt::hash_with_salt(password, cost, salt)
            .unwrap()
            .format_for_version(bcrypt::Version::TwoA)
    }

    #[test]
    fn same_hashes_as_the_bcrypt_crate() {
        let passwords = [
            "",
            "a",
            "password",
            "correct horse battery staple",
            "ünïcødé 🔑 pass",
            "exactly-seventy-one-bytes-exactly-seventy-one-bytes-exactly-seventy-o",
            "exactly-seventy-two-bytes-exactly-seventy-two-bytes-exactly-seventy-two",
        ];
        let mut n = 0u8;
        for a in passwords {
            for b in passwords {
                n = n.wrapping_add(37);
                let salts = [[n; 16], [n.wrapping_mul(7) ^ 0x5a; 16]];
                let got = hash_pair_with_salts([a, b], 4, salts);
                assert_eq!(
                    got[0].as_deref(),
                    Some(reference(a, 4, salts[0]).as_str()),
                    "{a:?}"
                );
                assert_eq!(
                    got[1].as_deref(),
                    Some(reference(b, 4, salts[1]).as_str()),
                    "{b:?}"
                );
            }
        }
    }

    #[test]
    fn random_pairs_verify_and_match() {
        for cost in [4, 5, 6] {
            let got = hash_pair(["first secret", "second secret"], cost).unwrap();
            let (h0, h1) = (got[0].clone().unwrap(), got[1].clone().unwrap());
            assert!(h0.starts_with(&format!("$2a${cost:02}$")) && h0.len() == 60);
            assert!(bcrypt::verify("first secret", &h0).unwrap());
            assert!(bcrypt::verify("second secret", &h1).unwrap());
            assert!(!bcrypt::verify("second secret", &h0).unwrap());
            assert!(pwhash::bcrypt::verify("first secret", &h0));
        }
    }

    #[test]
    fn a_stop_ends_even_the_highest_cost_within_a_round() {
        let stop = AtomicBool::new(false);
        let t = std::time::Instant::now();
        std::thread::scope(|s| {
            let h = s.spawn(|| hash_pair_until(["a secret", "b secret"], 31, &stop));
            std::thread::sleep(std::time::Duration::from_millis(50));
            stop.store(true, Ordering::Relaxed);
            assert_eq!(h.join().unwrap().unwrap(), None);
        });
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
        // a stop set beforehand hashes nothing
        assert_eq!(
            hash_pair_with_salts_until(["a", "b"], 4, [[1; 16], [2; 16]], &stop),
            None
        );
    }

    #[test]
    fn refusals() {
        let long = "x".repeat(73);
        let got = hash_pair_with_salts([long.as_str(), "fine pw"], 4, [[1; 16], [2; 16]]);
        assert_eq!(got[0], None);
        assert_eq!(
            got[1].as_deref(),
            Some(reference("fine pw", 4, [2; 16]).as_str())
        );
        assert_eq!(
            hash_pair_with_salts(["a", "b"], 3, [[1; 16], [2; 16]]),
            [None, None]
        );
        assert_eq!(
            hash_pair_with_salts(["a", "b"], 32, [[1; 16], [2; 16]]),
            [None, None]
        );
    }
}
