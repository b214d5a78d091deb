//! bcrypt ($2a$) computed two passwords at a time on one thread.
//!
//! bcrypt's cost is EksBlowfish's key schedule: thousands of Blowfish encryptions, each a chain of
//! 16 rounds whose S-box lookups wait on the round before. One chain leaves most of a core idle;
//! two independent chains, interleaved round by round, fill it. The result is the standard bcrypt
//! hash, byte for byte (the tests compare it with the `bcrypt` crate).
//!
//! Blowfish's initial state is the fractional part of pi in hexadecimal; it is computed here once
//! per process (Machin's formula in fixed point, a few milliseconds) rather than written out.

use base64::engine::general_purpose::{GeneralPurpose, NO_PAD};
use base64::{alphabet, Engine as _};

use super::password::{MAX_COST, MAX_PASSWORD_BYTES, MIN_COST};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use zeroize::{Zeroize, Zeroizing};

/// The Blowfish state: the P-array and the four S-boxes. Keyed with a password, it is zeroed
/// when dropped.
#[derive(Clone)]
struct State {
    p: [u32; 18],
    s: [[u32; 256]; 4],
}

impl Drop for State {
    fn drop(&mut self) {
        self.p.zeroize();
        self.s.zeroize();
    }
}

const WORDS: usize = 18 + 4 * 256;

/// The first `n` 32-bit words of the fractional part of pi.
fn pi_words(n: usize) -> Vec<u32> {
    // fixed point: limb 0 is the integer part, then n fractional limbs and 3 guard limbs
    let len = 1 + n + 3;
    let arctan_inv = |x: u32| -> Vec<u32> {
        let mut sum = vec![0u32; len];
        let mut term = vec![0u32; len];
        term[0] = 1;
        div_small(&mut term, x);
        let x2 = x * x;
        let mut k: u32 = 0;
        while term.iter().any(|&w| w != 0) {
            let mut t = term.clone();
            div_small(&mut t, 2 * k + 1);
            if k.is_multiple_of(2) {
                add(&mut sum, &t);
            } else {
                sub(&mut sum, &t);
            }
            div_small(&mut term, x2);
            k += 1;
        }
        sum
    };
    // pi = 16 atan(1/5) - 4 atan(1/239)
    let mut pi = arctan_inv(5);
    mul_small(&mut pi, 16);
    let mut b = arctan_inv(239);
    mul_small(&mut b, 4);
    sub(&mut pi, &b);
    pi[1..=n].to_vec()
}

fn div_small(a: &mut [u32], d: u32) {
    let mut rem: u64 = 0;
    for w in a.iter_mut() {
        let cur = (rem << 32) | u64::from(*w);
        *w = (cur / u64::from(d)) as u32;
        rem = cur % u64::from(d);
    }
}

fn mul_small(a: &mut [u32], m: u32) {
    let mut carry: u64 = 0;
    for w in a.iter_mut().rev() {
        let cur = u64::from(*w) * u64::from(m) + carry;
        *w = cur as u32;
        carry = cur >> 32;
    }
}

fn add(a: &mut [u32], b: &[u32]) {
    let mut carry = false;
    for (x, &y) in a.iter_mut().zip(b).rev() {
        let (s1, c1) = x.overflowing_add(y);
        let (s2, c2) = s1.overflowing_add(u32::from(carry));
        *x = s2;
        carry = c1 || c2;
    }
}

fn sub(a: &mut [u32], b: &[u32]) {
    let mut borrow = false;
    for (x, &y) in a.iter_mut().zip(b).rev() {
        let (d1, b1) = x.overflowing_sub(y);
        let (d2, b2) = d1.overflowing_sub(u32::from(borrow));
        *x = d2;
        borrow = b1 || b2;
    }
}

fn initial_state() -> &'static State {
    static INIT: OnceLock<Box<State>> = OnceLock::new();
    INIT.get_or_init(|| {
        let w = pi_words(WORDS);
        let mut st = Box::new(State {
            p: [0; 18],
            s: [[0; 256]; 4],
        });
        st.p.copy_from_slice(&w[..18]);
        for (k, sbox) in st.s.iter_mut().enumerate() {
            sbox.copy_from_slice(&w[18 + 256 * k..18 + 256 * (k + 1)]);
        }
        st
    })
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
    let init = initial_state();
    let mut st = [init.clone(), init.clone()];
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

    #[test]
    fn pi_starts_and_ends_as_blowfish_says() {
        let w = pi_words(WORDS);
        // the first P-array words and the last S-box word of Blowfish's published tables
        assert_eq!(&w[..4], &[0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344]);
        assert_eq!(w[WORDS - 1], 0x3AC372E6);
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
