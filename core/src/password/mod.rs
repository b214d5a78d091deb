//! Password hashing for the whole crate: bcrypt as the Supabase Auth server writes it
//! ([`hash_bcrypt`], [`verify_bcrypt`]), checks on existing hashes ([`hash_shape_ok`]), generated
//! passwords ([`generate_password`]) and parallel hashing for bulk imports ([`hash_all`]).
//!
//! * [`pairs`]: bcrypt two passwords at a time on one thread, which [`hash_all`] uses for the
//!   throughput of bulk imports; its module docs say why it exists and how it is tested against
//!   the `bcrypt` and `blowfish` crates.
//! * `blowfish_table`: Blowfish's initial state, the published constants.
//!
//! This module depends on nothing else in the crate; [`crate::import`] uses it (validation checks
//! password lengths and hash shapes, the extension hashes with [`hash_all`]).

pub mod pairs;

mod blowfish_table;

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

pub use self::pairs::{MAX_COST, MAX_PASSWORD_BYTES, MIN_COST};

/// Length of [`generate_password`]'s passwords.
pub const GENERATED_PASSWORD_LEN: usize = 24;

/// Why hashing failed. Never holds the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordError {
    /// The cost is outside 4..=31.
    CostOutOfRange(u32),
    /// The password has more than 72 bytes (bcrypt would ignore the rest).
    TooLong { bytes: usize },
    /// The operating system's random number generator failed.
    Random(String),
}

impl fmt::Display for PasswordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordError::CostOutOfRange(cost) => write!(
                f,
                "bcrypt cost {cost} is out of range; it must be {MIN_COST} to {MAX_COST}"
            ),
            PasswordError::TooLong { bytes } => write!(
                f,
                "the password has {bytes} bytes; bcrypt uses at most {MAX_PASSWORD_BYTES}"
            ),
            PasswordError::Random(e) => {
                write!(
                    f,
                    "the operating system's random number generator failed: {e}"
                )
            }
        }
    }
}

impl std::error::Error for PasswordError {}

/// Hashes `password` with bcrypt at `cost` (4..=31) into the `$2a$` form the Supabase Auth
/// server writes, e.g. `$2a$10$...` (60 characters). Passwords over 72 bytes are refused rather
/// than silently truncated.
pub fn hash_bcrypt(password: &str, cost: u32) -> Result<String, PasswordError> {
    if !(MIN_COST..=MAX_COST).contains(&cost) {
        return Err(PasswordError::CostOutOfRange(cost));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong {
            bytes: password.len(),
        });
    }
    match bcrypt::hash_with_result(password.as_bytes(), cost) {
        Ok(parts) => Ok(parts.format_for_version(bcrypt::Version::TwoA)),
        Err(bcrypt::BcryptError::CostNotAllowed(c)) => Err(PasswordError::CostOutOfRange(c)),
        Err(bcrypt::BcryptError::Truncation(bytes)) => Err(PasswordError::TooLong { bytes }),
        Err(e) => Err(PasswordError::Random(e.to_string())),
    }
}

/// True when `password` matches the bcrypt `hash` (`$2a$`, `$2b$`, `$2x$` or `$2y$`); false when
/// it does not or the hash is malformed.
pub fn verify_bcrypt(password: &str, hash: &str) -> bool {
    bcrypt::verify(password.as_bytes(), hash).unwrap_or(false)
}

/// bcrypt's base64 alphabet.
const BCRYPT_B64: &[u8] = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Checks that `hash` has the shape of a hash the Supabase Auth server can verify (see its
/// `internal/crypto/password.go`):
///
/// * bcrypt: `$2a$`, `$2b$` or `$2y$`, a two-digit cost 04..31, `$`, then 53 characters of
///   bcrypt base64 (22 of salt, 31 of hash; the last hash character must carry no stray bits,
///   as every bcrypt implementation writes it);
/// * argon2: `$argon2i$` or `$argon2id$`, `v=19$m=<m>,t=<t>,p=<p>$<salt>$<hash>` with salt and
///   hash in unpadded standard base64, both non-empty; m 1..=1048576 (KiB, the server's 1 GiB
///   limit), t 1..=20 and p 1..=16 (the server's limits; 0 would crash its argon2 code);
/// * Firebase scrypt:
///   `$fbscrypt$v=1,n=<n>,r=<r>,p=<p>,ss=<salt separator>,sk=<signer key>$<salt>$<hash>` with
///   ss, sk, salt and hash in padded standard base64, all non-empty; n 1..=14 and r 1..=8
///   (Firebase's own limits for mem_cost and rounds), p 1..=16; the hash must decode to as many
///   bytes as the signer key (it is the signer key encrypted), or no password could ever match.
///
/// The error says which scheme and part is wrong; it never repeats the hash.
pub fn hash_shape_ok(hash: &str) -> Result<(), String> {
    if hash.starts_with("$argon2") {
        check_argon2(hash)
    } else if hash.starts_with("$fbscrypt$") {
        check_fbscrypt(hash)
    } else if hash.starts_with("$2") {
        check_bcrypt(hash)
    } else {
        Err(
            "it is not a bcrypt ($2a$, $2b$, $2y$), argon2 ($argon2i$, $argon2id$) or Firebase \
             scrypt ($fbscrypt$) hash"
                .to_string(),
        )
    }
}

fn check_bcrypt(hash: &str) -> Result<(), String> {
    let b = hash.as_bytes();
    if !(hash.starts_with("$2a$") || hash.starts_with("$2b$") || hash.starts_with("$2y$")) {
        return Err("bcrypt hashes must start with $2a$, $2b$ or $2y$".to_string());
    }
    let cost = match (b.get(4), b.get(5), b.get(6)) {
        (Some(&d1), Some(&d2), Some(b'$')) if d1.is_ascii_digit() && d2.is_ascii_digit() => {
            u32::from(d1 - b'0') * 10 + u32::from(d2 - b'0')
        }
        _ => {
            return Err(
                "bcrypt hash: the prefix must be followed by a two-digit cost and \"$\"".into(),
            )
        }
    };
    if !(MIN_COST..=MAX_COST).contains(&cost) {
        return Err(format!(
            "bcrypt hash: the cost {cost} is outside {MIN_COST:02}..{MAX_COST}"
        ));
    }
    let rest = &b[7..];
    // (a test per byte, not a search of the alphabet: this runs for every row of an import)
    if !rest
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'.' || c == b'/')
    {
        return Err(
            "bcrypt hash: the salt and hash may only use the characters ./A-Za-z0-9".to_string(),
        );
    }
    if rest.len() != 53 {
        return Err(format!(
            "bcrypt hash: after the cost there must be 53 characters (22 of salt, 31 of hash), \
             not {}",
            rest.len()
        ));
    }
    // 23 bytes make 31 characters with 2 spare bits, which must be zero.
    let last = BCRYPT_B64.iter().position(|c| *c == rest[52]).unwrap_or(0);
    if last % 4 != 0 {
        return Err(
            "bcrypt hash: the last character of the hash is not one bcrypt writes (the \
                    hash is damaged)"
                .to_string(),
        );
    }
    Ok(())
}

fn check_argon2(hash: &str) -> Result<(), String> {
    let (alg, rest) = if let Some(rest) = hash.strip_prefix("$argon2id$") {
        ("argon2id", rest)
    } else if let Some(rest) = hash.strip_prefix("$argon2i$") {
        ("argon2i", rest)
    } else if hash.starts_with("$argon2d$") {
        return Err("argon2d hashes are not supported; only argon2i and argon2id".to_string());
    } else {
        return Err("argon2 hashes must start with $argon2i$ or $argon2id$".to_string());
    };
    let parts: Vec<&str> = rest.split('$').collect();
    let [version, params, salt, digest] = parts[..] else {
        return Err(format!(
            "{alg} hash: expected v=19$m=<memory>,t=<iterations>,p=<parallelism>$<salt>$<hash>"
        ));
    };
    if version != "v=19" {
        return Err(format!(
            "{alg} hash: only version v=19 is supported (it must follow ${alg}$)"
        ));
    }
    let fields: Vec<&str> = params.split(',').collect();
    if fields.len() > 3 {
        return Err(format!(
            "{alg} hash: only the parameters m, t and p are supported (not keyid or data)"
        ));
    }
    let [m, t, p] = fields[..] else {
        return Err(format!(
            "{alg} hash: the parameters must be m=<memory>,t=<iterations>,p=<parallelism>"
        ));
    };
    param(alg, m, "m", 1, 1024 * 1024)?;
    param(alg, t, "t", 1, 20)?;
    param(alg, p, "p", 1, 16)?;
    match b64_len(salt, false) {
        Some(n) if n > 0 => {}
        Some(_) => return Err(format!("{alg} hash: the salt is empty")),
        None => {
            return Err(format!(
                "{alg} hash: the salt is not unpadded standard base64 (A-Za-z0-9+/)"
            ))
        }
    }
    match b64_len(digest, false) {
        Some(n) if n > 0 => {}
        Some(_) => return Err(format!("{alg} hash: the hash part is empty")),
        None => {
            return Err(format!(
                "{alg} hash: the hash part is not unpadded standard base64 (A-Za-z0-9+/)"
            ))
        }
    }
    Ok(())
}

fn check_fbscrypt(hash: &str) -> Result<(), String> {
    const SCHEME: &str = "Firebase scrypt hash";
    let rest = hash.get("$fbscrypt$".len()..).unwrap_or("");
    let parts: Vec<&str> = rest.split('$').collect();
    let [params, salt, digest] = parts[..] else {
        return Err(format!(
            "{SCHEME}: expected $fbscrypt$v=1,n=<mem_cost>,r=<rounds>,p=<p>,ss=<salt \
             separator>,sk=<signer key>$<salt>$<hash>"
        ));
    };
    let fields: Vec<&str> = params.split(',').collect();
    let [v, n, r, p, ss, sk] = fields[..] else {
        return Err(format!(
            "{SCHEME}: the parameters must be v=1,n=<mem_cost>,r=<rounds>,p=<p>,ss=<salt \
             separator>,sk=<signer key>"
        ));
    };
    if v != "v=1" {
        return Err(format!("{SCHEME}: only version v=1 is supported"));
    }
    param(SCHEME, n, "n", 1, 14)?;
    param(SCHEME, r, "r", 1, 8)?;
    param(SCHEME, p, "p", 1, 16)?;
    let Some(ss) = ss.strip_prefix("ss=") else {
        return Err(format!(
            "{SCHEME}: the fifth parameter must be ss=<salt separator>"
        ));
    };
    let Some(sk) = sk.strip_prefix("sk=") else {
        return Err(format!(
            "{SCHEME}: the sixth parameter must be sk=<signer key>"
        ));
    };
    let decoded = |value: &str, what: &str| match b64_len(value, true) {
        Some(0) => Err(format!("{SCHEME}: the {what} is empty")),
        Some(len) => Ok(len),
        None => Err(format!(
            "{SCHEME}: the {what} is not padded standard base64 (A-Za-z0-9+/ and =)"
        )),
    };
    decoded(ss, "salt separator (ss)")?;
    let key_len = decoded(sk, "signer key (sk)")?;
    decoded(salt, "salt")?;
    let hash_len = decoded(digest, "hash part")?;
    if hash_len != key_len {
        return Err(format!(
            "{SCHEME}: the hash part has {hash_len} bytes but the signer key has {key_len}; they \
             must be equal (was the signer key or the hash copied from another project?)"
        ));
    }
    Ok(())
}

/// Checks `name=<decimal>` with the value in `min..=max`.
fn param(scheme: &str, field: &str, name: &str, min: u64, max: u64) -> Result<(), String> {
    let value = field
        .strip_prefix(name)
        .and_then(|v| v.strip_prefix('='))
        .filter(|v| !v.is_empty() && v.len() <= 20 && v.bytes().all(|c| c.is_ascii_digit()))
        .and_then(|v| v.parse::<u64>().ok());
    match value {
        None => Err(format!(
            "{scheme}: expected the parameter {name}=<number> in its place"
        )),
        Some(v) if v < min || v > max => Err(format!(
            "{scheme}: the parameter {name}={v} is outside {min}..{max}"
        )),
        Some(_) => Ok(()),
    }
}

/// The decoded length of standard-alphabet base64 `s`, or `None` when it is not valid.
/// `padded`: whether `=` padding to a multiple of 4 is required (Go's `StdEncoding`) or
/// forbidden (`RawStdEncoding`). Spare bits in the last character are tolerated, as Go does.
fn b64_len(s: &str, padded: bool) -> Option<usize> {
    let b = s.as_bytes();
    let data = if padded {
        if !b.len().is_multiple_of(4) {
            return None;
        }
        let pad = b.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 {
            return None;
        }
        &b[..b.len() - pad]
    } else {
        b
    };
    let is_b64 = |c: &u8| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/';
    if !data.iter().all(is_b64) || data.len() % 4 == 1 {
        return None;
    }
    Some(data.len() / 4 * 3 + (data.len() % 4).saturating_sub(1))
}

/// Symbols in generated passwords: safe unquoted in CSV and JSON, and in single-quoted SQL
/// and shell strings.
const SYMBOLS: &[u8] = b"-_.@%+=";
const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &[u8] = b"0123456789";

/// A random password of [`GENERATED_PASSWORD_LEN`] characters from letters, digits and
/// `-_.@%+=`, drawn uniformly from the OS CSPRNG (about 146 bits), with at least one
/// lower-case letter, one upper-case letter and one digit.
///
/// # Panics
/// Only when the operating system's random number generator fails (see
/// [`try_generate_password`] for a version that returns the error).
pub fn generate_password() -> String {
    match try_generate_password() {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

/// [`generate_password`], returning an error if the OS random number generator fails.
pub fn try_generate_password() -> Result<String, PasswordError> {
    let alphabet: Vec<u8> = [LOWER, UPPER, DIGITS, SYMBOLS].concat();
    let n = alphabet.len(); // 69
                            // Largest multiple of n that fits in a byte: rejection sampling keeps the choice uniform.
    let limit = 256 - 256 % n;
    loop {
        let mut out = Vec::with_capacity(GENERATED_PASSWORD_LEN);
        let mut buf = [0u8; 64];
        while out.len() < GENERATED_PASSWORD_LEN {
            getrandom::fill(&mut buf).map_err(|e| PasswordError::Random(e.to_string()))?;
            for &r in &buf {
                if usize::from(r) < limit && out.len() < GENERATED_PASSWORD_LEN {
                    out.push(alphabet[usize::from(r) % n]);
                }
            }
        }
        let has = |set: &[u8]| out.iter().any(|c| set.contains(c));
        if has(LOWER) && has(UPPER) && has(DIGITS) {
            // Only ASCII bytes from the alphabet were pushed.
            return String::from_utf8(out).map_err(|e| PasswordError::Random(e.to_string()));
        }
    }
}

/// What the caller of [`hash_all`] tells its workers, and what they report back.
#[derive(Debug, Default)]
pub struct HashControl {
    /// Give up the hashes in progress (within one round of the key schedule) and return.
    pub stop: AtomicBool,
    /// Finish the hashes in progress, start no more, and return.
    pub pause: AtomicBool,
    /// How many passwords are finished (refused ones included).
    pub done: AtomicUsize,
}

impl HashControl {
    fn halted(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.pause.load(Ordering::Relaxed)
    }
}

/// Hashes every password on `threads` worker threads (std threads, pure work). Returns one entry
/// per input, Some(hash) or None when it was not hashed because the caller set `ctl.stop` or
/// `ctl.pause` first; the caller polls `ctl.done` for progress.
///
/// Details:
/// * Workers take the next two unhashed passwords from a shared counter and hash them together
///   ([`pairs::hash_pair_until`]: the same `$2a$` hashes, more of them per core than one at a
///   time); a last odd one is hashed in a pair with itself, so that it can be stopped
///   like the others. The output order is the input order whatever the timing. `threads` is
///   clamped to 1..=half the passwords, rounded up.
/// * An entry is also `None` when the hashing refuses it (cost outside 4..=31, a password
///   over 72 bytes, or a random number generator failure); validation rules those out
///   beforehand. `done` is incremented for such entries too, so it always reaches
///   `passwords.len()` when nothing is stopped or paused.
/// * The workers are joined before this returns: none outlives the call. If a worker thread
///   cannot be started, the others (or, failing all, the calling thread) do its share; if a
///   worker panics, the entries it had hashed are `None`.
pub fn hash_all(
    passwords: &[&str],
    cost: u32,
    threads: usize,
    ctl: &HashControl,
) -> Vec<Option<String>> {
    let total = passwords.len();
    let mut out: Vec<Option<String>> = vec![None; total];
    if total == 0 {
        return out;
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut hashed: Vec<(usize, String)> = Vec::new();
        while !ctl.halted() {
            // two passwords at a time: their key schedules interleaved on this thread (pairs.rs)
            let i = next.fetch_add(2, Ordering::Relaxed);
            let Some(&first) = passwords.get(i) else {
                break;
            };
            let second = passwords.get(i + 1).copied();
            let pair = [first, second.unwrap_or(first)];
            match pairs::hash_pair_until(pair, cost, &ctl.stop) {
                Ok(None) => break,
                Ok(Some(hashes)) => {
                    let n = if second.is_some() { 2 } else { 1 };
                    for (k, h) in hashes.into_iter().take(n).enumerate() {
                        if let Some(h) = h {
                            hashed.push((i + k, h));
                        }
                    }
                    ctl.done.fetch_add(n, Ordering::Relaxed);
                }
                Err(_) => {
                    ctl.done
                        .fetch_add(if second.is_some() { 2 } else { 1 }, Ordering::Relaxed);
                }
            }
        }
        hashed
    };
    let workers = threads.clamp(1, total.div_ceil(2));
    std::thread::scope(|scope| {
        let mut handles = Vec::with_capacity(workers);
        for n in 0..workers {
            let spawned = std::thread::Builder::new()
                .name(format!("auth_sync-hash-{n}"))
                .spawn_scoped(scope, work);
            if let Ok(h) = spawned {
                handles.push(h);
            }
        }
        let mut results = Vec::with_capacity(handles.len() + 1);
        if handles.is_empty() {
            results.push(work());
        }
        for h in handles {
            if let Ok(r) = h.join() {
                results.push(r);
            }
        }
        for (i, h) in results.into_iter().flatten() {
            if let Some(slot) = out.get_mut(i) {
                *slot = Some(h);
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn a_stop_ends_a_high_cost_hash_at_once_and_a_pause_keeps_finished_work() {
        // cost 20: one pair takes minutes; the stop must not wait for it
        let ctl = HashControl::default();
        let started = Instant::now();
        let out = std::thread::scope(|s| {
            let worker = s.spawn(|| hash_all(&["password1", "password2", "odd-one"], 20, 2, &ctl));
            std::thread::sleep(Duration::from_millis(100));
            ctl.stop.store(true, Ordering::Relaxed);
            worker.join().unwrap()
        });
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(out, [None, None, None]);
        // a pause lets the pairs in progress finish: their hashes are kept, the rest is not started
        let passwords = vec!["password"; 64];
        let ctl = HashControl::default();
        let out = std::thread::scope(|s| {
            let worker = s.spawn(|| hash_all(&passwords, 8, 2, &ctl));
            while ctl.done.load(Ordering::Relaxed) < 2 {
                std::thread::sleep(Duration::from_millis(1));
            }
            ctl.pause.store(true, Ordering::Relaxed);
            worker.join().unwrap()
        });
        let hashed = out.iter().filter(|h| h.is_some()).count();
        assert_eq!(hashed, ctl.done.load(Ordering::Relaxed));
        assert!((2..64).contains(&hashed) && hashed % 2 == 0, "{hashed}");
    }

    #[test]
    fn hash_then_verify() {
        let h = hash_bcrypt("correct horse", 4).unwrap();
        assert!(h.starts_with("$2a$04$"), "{h}");
        assert_eq!(h.len(), 60);
        assert!(verify_bcrypt("correct horse", &h));
        assert!(!verify_bcrypt("correct horsf", &h));
        assert!(!verify_bcrypt("correct horse", "not a hash"));
        assert!(hash_shape_ok(&h).is_ok());
    }

    #[test]
    fn cost_10_prefix() {
        let h = hash_bcrypt("pässwörd", 10).unwrap();
        assert!(h.starts_with("$2a$10$"), "{h}");
        assert!(verify_bcrypt("pässwörd", &h));
    }

    #[test]
    fn hash_bcrypt_refusals() {
        assert_eq!(
            hash_bcrypt("secret", 3),
            Err(PasswordError::CostOutOfRange(3))
        );
        assert_eq!(
            hash_bcrypt("secret", 32),
            Err(PasswordError::CostOutOfRange(32))
        );
        let p72 = "x".repeat(72);
        let h = hash_bcrypt(&p72, 4).unwrap();
        assert!(verify_bcrypt(&p72, &h));
        let p73 = "x".repeat(73);
        let e = hash_bcrypt(&p73, 4).unwrap_err();
        assert_eq!(e, PasswordError::TooLong { bytes: 73 });
        assert!(!e.to_string().contains("xxx"));
    }

    #[test]
    fn verifies_known_hashes_of_other_implementations() {
        // Go's golang.org/x/crypto/bcrypt and OpenBSD test vectors ($2a$ and $2b$, $2y$).
        assert!(verify_bcrypt(
            "U*U",
            "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
        ));
        assert!(verify_bcrypt(
            "U*U",
            "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
        ));
        assert!(verify_bcrypt(
            "U*U",
            "$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
        ));
    }

    #[test]
    fn good_hash_shapes() {
        for h in [
            "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
            "$2b$04$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
            "$2y$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
            "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
            "$argon2i$v=19$m=16,t=2,p=1$MTIzNDU2Nzg$4PYP4kvtmX6N5wA0Qzc3BQ",
            "$argon2id$v=19$m=1048576,t=20,p=16$YQ$YQ",
            "$fbscrypt$v=1,n=14,r=8,p=1,ss=Bw==,sk=ou9tdYTGyYm8kuR6Dt0Bp0kDuAYoXrK16mbZO4yGwAn3oLspjnN0/c41v8xZnO1n14J3MjKj1b2g6AUCAlFwMw==$C0sHCg9ek77hsg==$zKVTMvnWVw5BBOZNUdnsalx4c4c7y/w7IS5p6Ut2+CfEFFlz37J9huyQfov4iizN8dbjvEJlM5tQaJP84+hfTw==",
        ] {
            assert_eq!(hash_shape_ok(h), Ok(()), "{h}");
        }
    }

    #[test]
    fn bad_hash_shapes() {
        let good_bcrypt = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
        let fb_key = "ou9tdYTGyYm8kuR6Dt0Bp0kDuAYoXrK16mbZO4yGwAn3oLspjnN0/c41v8xZnO1n14J3MjKj1b2g6AUCAlFwMw==";
        let fb_hash = "zKVTMvnWVw5BBOZNUdnsalx4c4c7y/w7IS5p6Ut2+CfEFFlz37J9huyQfov4iizN8dbjvEJlM5tQaJP84+hfTw==";
        let fb = |params: &str, salt: &str, hash: &str| format!("$fbscrypt${params}${salt}${hash}");
        let fb_ok_params = format!("v=1,n=14,r=8,p=1,ss=Bw==,sk={fb_key}");
        let cases: Vec<(String, &str)> = vec![
            ("".into(), "not a bcrypt"),
            ("plaintext-password".into(), "not a bcrypt"),
            ("md5$abc".into(), "not a bcrypt"),
            // bcrypt
            (good_bcrypt.replace("$2a$", "$2x$"), "must start with"),
            (good_bcrypt.replace("$2a$", "$2$"), "must start with"),
            (good_bcrypt.replace("$10$", "$03$"), "cost 3"),
            (good_bcrypt.replace("$10$", "$32$"), "cost 32"),
            (good_bcrypt.replace("$10$", "$1$"), "two-digit cost"),
            (good_bcrypt.replace("$10$", "$1a$"), "two-digit cost"),
            (good_bcrypt[..59].to_string(), "not 52"),
            (format!("{good_bcrypt}x"), "not 54"),
            (good_bcrypt.replace("N9qo", "N9q+"), "./A-Za-z0-9"),
            (good_bcrypt.replace("N9qo", "N9qé"), "./A-Za-z0-9"),
            (good_bcrypt.replace("hWy", "hWz"), "last character"),
            // argon2
            ("$argon2d$v=19$m=16,t=2,p=1$YQ$YQ".into(), "argon2d"),
            (
                "$argon2x$v=19$m=16,t=2,p=1$YQ$YQ".into(),
                "$argon2i$ or $argon2id$",
            ),
            ("$argon2id$v=16$m=16,t=2,p=1$YQ$YQ".into(), "v=19"),
            ("$argon2id$m=16,t=2,p=1$YQ$YQ".into(), "expected v=19"),
            ("$argon2id$v=19$m=16,t=2$YQ$YQ".into(), "parameters must be"),
            ("$argon2id$v=19$t=2,m=16,p=1$YQ$YQ".into(), "m=<number>"),
            (
                "$argon2id$v=19$m=16,t=2,p=1,keyid=abc$YQ$YQ".into(),
                "keyid",
            ),
            (
                "$argon2id$v=19$m=16,t=2,p=1,data=abc$YQ$YQ".into(),
                "keyid or data",
            ),
            ("$argon2id$v=19$m=0,t=2,p=1$YQ$YQ".into(), "m=0"),
            ("$argon2id$v=19$m=1048577,t=2,p=1$YQ$YQ".into(), "m=1048577"),
            ("$argon2id$v=19$m=16,t=0,p=1$YQ$YQ".into(), "t=0"),
            ("$argon2id$v=19$m=16,t=21,p=1$YQ$YQ".into(), "t=21"),
            ("$argon2id$v=19$m=16,t=2,p=0$YQ$YQ".into(), "p=0"),
            ("$argon2id$v=19$m=16,t=2,p=17$YQ$YQ".into(), "p=17"),
            ("$argon2id$v=19$m=-1,t=2,p=1$YQ$YQ".into(), "m=<number>"),
            (
                "$argon2id$v=19$m=99999999999999999999999,t=2,p=1$YQ$YQ".into(),
                "m=<number>",
            ),
            ("$argon2id$v=19$m=16,t=2,p=1$$YQ".into(), "salt is empty"),
            (
                "$argon2id$v=19$m=16,t=2,p=1$YQ$".into(),
                "hash part is empty",
            ),
            ("$argon2id$v=19$m=16,t=2,p=1$YQ==$YQ".into(), "salt is not"),
            (
                "$argon2id$v=19$m=16,t=2,p=1$YQ$Y".into(),
                "hash part is not",
            ),
            ("$argon2id$v=19$m=16,t=2,p=1$Y_$YQ".into(), "salt is not"),
            (
                "$argon2id$v=19$m=16,t=2,p=1$YQ$YQ$YQ".into(),
                "expected v=19",
            ),
            // Firebase scrypt
            (
                fb(&fb_ok_params, "C0sHCg9ek77hsg==", "YQ=="),
                "signer key has 64",
            ),
            (fb(&fb_ok_params, "", fb_hash), "salt is empty"),
            (fb(&fb_ok_params, "C0sHCg9ek77hsg", fb_hash), "salt is not"),
            (
                fb(&fb_ok_params, "C0sHCg9ek77hsg==", ""),
                "hash part is empty",
            ),
            (
                fb(&fb_ok_params, "C0sHCg9ek77hsg==", "zKV!"),
                "hash part is not",
            ),
            (
                fb(
                    &fb_ok_params.replace("v=1", "v=2"),
                    "C0sHCg9ek77hsg==",
                    fb_hash,
                ),
                "v=1",
            ),
            (
                fb(
                    &fb_ok_params.replace("n=14", "n=0"),
                    "C0sHCg9ek77hsg==",
                    fb_hash,
                ),
                "n=0",
            ),
            (
                fb(
                    &fb_ok_params.replace("n=14", "n=64"),
                    "C0sHCg9ek77hsg==",
                    fb_hash,
                ),
                "n=64",
            ),
            (
                fb(
                    &fb_ok_params.replace("r=8", "r=0"),
                    "C0sHCg9ek77hsg==",
                    fb_hash,
                ),
                "r=0",
            ),
            (
                fb(
                    &fb_ok_params.replace("p=1", "p=0"),
                    "C0sHCg9ek77hsg==",
                    fb_hash,
                ),
                "p=0",
            ),
            (
                fb(
                    &fb_ok_params.replace("ss=Bw==", "ss="),
                    "C0sHCg9ek77hsg==",
                    fb_hash,
                ),
                "salt separator (ss) is empty",
            ),
            (
                fb(
                    &fb_ok_params.replace("ss=Bw==", "ss=Bw"),
                    "C0sHCg9ek77hsg==",
                    fb_hash,
                ),
                "salt separator (ss) is not",
            ),
            (
                fb(
                    &fb_ok_params.replace("ss=Bw==,", ""),
                    "C0sHCg9ek77hsg==",
                    fb_hash,
                ),
                "parameters must be",
            ),
            (
                fb(
                    &fb_ok_params.replace("sk=", "sx="),
                    "C0sHCg9ek77hsg==",
                    fb_hash,
                ),
                "sk=<signer key>",
            ),
            (
                fb(
                    &fb_ok_params.replace("sk=ou9", "sk=o=u9"),
                    "C0sHCg9ek77hsg==",
                    fb_hash,
                ),
                "signer key (sk) is not",
            ),
            (
                "$fbscrypt$v=1,n=14,r=8,p=1,ss=Bw==,sk=YQ==$YQ==".into(),
                "expected $fbscrypt$",
            ),
        ];
        for (hash, want) in cases {
            let e = hash_shape_ok(&hash).expect_err(&hash);
            assert!(e.contains(want), "{hash}: {e}");
            // The message never repeats the hash or a long piece of it.
            if hash.len() > 20 {
                for window in hash.as_bytes().windows(20) {
                    let w = String::from_utf8_lossy(window);
                    assert!(!e.contains(w.as_ref()), "{hash}: {e}");
                }
            }
        }
    }

    #[test]
    fn b64_lengths() {
        assert_eq!(b64_len("", false), Some(0));
        assert_eq!(b64_len("YQ", false), Some(1));
        assert_eq!(b64_len("YWI", false), Some(2));
        assert_eq!(b64_len("YWJj", false), Some(3));
        assert_eq!(b64_len("Y", false), None);
        assert_eq!(b64_len("YQ==", false), None);
        assert_eq!(b64_len("YQ==", true), Some(1));
        assert_eq!(b64_len("YWI=", true), Some(2));
        assert_eq!(b64_len("YWJj", true), Some(3));
        assert_eq!(b64_len("YQ", true), None);
        assert_eq!(b64_len("Y===", true), None);
        assert_eq!(b64_len("Y=Q=", true), None);
        assert_eq!(b64_len("====", true), None);
    }

    #[test]
    fn generated_passwords() {
        let a = generate_password();
        let b = generate_password();
        assert_ne!(a, b);
        for _ in 0..200 {
            let p = generate_password();
            assert_eq!(p.len(), GENERATED_PASSWORD_LEN);
            assert!(p.len() >= 20);
            assert!(p.bytes().any(|c| c.is_ascii_lowercase()), "{p}");
            assert!(p.bytes().any(|c| c.is_ascii_uppercase()), "{p}");
            assert!(p.bytes().any(|c| c.is_ascii_digit()), "{p}");
            assert!(
                p.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || SYMBOLS.contains(&c)),
                "{p}"
            );
        }
    }

    #[test]
    fn generated_passwords_use_the_whole_alphabet() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            seen.extend(generate_password().bytes());
        }
        assert_eq!(
            seen.len(),
            LOWER.len() + UPPER.len() + DIGITS.len() + SYMBOLS.len()
        );
    }

    #[test]
    fn hash_all_in_order_on_three_threads() {
        let passwords: Vec<String> = (0..10).map(|i| format!("password-{i}")).collect();
        let refs: Vec<&str> = passwords.iter().map(String::as_str).collect();
        let ctl = HashControl::default();
        let hashes = hash_all(&refs, 4, 3, &ctl);
        assert_eq!(hashes.len(), 10);
        assert_eq!(ctl.done.load(Ordering::Relaxed), 10);
        for (p, h) in passwords.iter().zip(&hashes) {
            let h = h.as_deref().unwrap();
            assert!(h.starts_with("$2a$04$"));
            assert!(verify_bcrypt(p, h), "{p}");
        }
        let other = hash_all(&refs[..1], 4, 3, &ctl);
        assert_ne!(other[0], hashes[0], "salts are random");
    }

    #[test]
    fn hash_all_edge_cases() {
        let ctl = HashControl::default();
        assert!(hash_all(&[], 4, 3, &ctl).is_empty());
        // Zero threads means one; refused entries are None but counted.
        let long = "y".repeat(73);
        let out = hash_all(&["secret1", &long, "secret2"], 4, 0, &ctl);
        assert!(out[0].is_some() && out[1].is_none() && out[2].is_some());
        assert!(verify_bcrypt("secret2", out[2].as_deref().unwrap()));
        assert_eq!(ctl.done.load(Ordering::Relaxed), 3);
        let out = hash_all(&["secret1"], 99, 2, &ctl);
        assert_eq!(out, [None]);
    }

    #[test]
    fn hash_all_cancelled_before_start() {
        let passwords = vec!["password"; 1000];
        for flag in ["stop", "pause"] {
            let ctl = HashControl::default();
            match flag {
                "stop" => ctl.stop.store(true, Ordering::Relaxed),
                _ => ctl.pause.store(true, Ordering::Relaxed),
            }
            let start = Instant::now();
            let out = hash_all(&passwords, 12, 4, &ctl);
            assert!(start.elapsed() < Duration::from_secs(2));
            assert_eq!(out.len(), 1000);
            assert!(out.iter().all(Option::is_none));
            assert_eq!(ctl.done.load(Ordering::Relaxed), 0);
        }
    }

    #[test]
    fn hash_all_cancelled_midway_while_caller_polls() {
        let passwords = vec!["password"; 400];
        let ctl = HashControl::default();
        let out = std::thread::scope(|s| {
            let worker = s.spawn(|| hash_all(&passwords, 6, 2, &ctl));
            while ctl.done.load(Ordering::Relaxed) < 5 {
                std::thread::sleep(Duration::from_millis(1));
            }
            ctl.stop.store(true, Ordering::Relaxed);
            worker.join().unwrap()
        });
        let hashed = out.iter().filter(|h| h.is_some()).count();
        assert!((5..400).contains(&hashed), "{hashed}");
        assert_eq!(hashed, ctl.done.load(Ordering::Relaxed));
        // (a stop abandons the pairs in progress, so the hashed ones need not be a prefix)
        for h in out.iter().flatten() {
            assert!(verify_bcrypt("password", h));
        }
    }
}
