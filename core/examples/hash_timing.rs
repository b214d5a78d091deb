//! Hashing throughput on this machine, for comparing changes to the paired bcrypt:
//! `cargo run --release -p auth_sync_core --example hash_timing [passwords] [cost] [rounds]
//! [threads]` (defaults 64, 10, 3, 1). Each round times `hash_all` on `threads` threads (two
//! passwords at a time per thread, `password::pairs`) and, on one thread, the `bcrypt` crate one
//! password at a time. Besides the elapsed time it
//! prints the process' CPU time (Linux), which other load on the machine disturbs less.

use auth_sync_core::password::{hash_all, HashControl};
use std::time::Instant;

/// User plus system CPU seconds of this process so far (Linux: /proc/self/stat, in ticks of
/// 1/100 s); 0 elsewhere.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // the fields after the command name, which is in parentheses and may hold spaces
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are the 14th and 15th fields of the line, the 12th and 13th after ')'
    (ticks(11) + ticks(12)) / 100.0
}

/// Runs `f`, returning its elapsed and CPU seconds.
fn timed(f: impl FnOnce()) -> (f64, f64) {
    let (t, c) = (Instant::now(), cpu_seconds());
    f();
    (t.elapsed().as_secs_f64(), cpu_seconds() - c)
}

fn main() {
    let arg = |i: usize, default: u32| {
        std::env::args()
            .nth(i)
            .map_or(default, |a| a.parse().expect("a number"))
    };
    let (n, cost, rounds) = (arg(1, 64) as usize, arg(2, 10), arg(3, 3));
    let threads = arg(4, 1) as usize;
    let passwords: Vec<String> = (0..n).map(|i| format!("password-{i:05}")).collect();
    let refs: Vec<&str> = passwords.iter().map(String::as_str).collect();
    for round in 1..=rounds {
        let (pairs, pairs_cpu) = timed(|| {
            let hashes = hash_all(&refs, cost, threads, &HashControl::default());
            assert!(hashes.iter().all(Option::is_some));
        });
        let (single, single_cpu) = timed(|| {
            for p in &refs {
                bcrypt::hash(p, cost).expect("hash");
            }
        });
        println!(
            "round {round}: {n} passwords at cost {cost}: pairs on {threads} thread(s) {pairs:.3} s \
             (CPU {pairs_cpu:.2} s, {:.1} hashes per CPU s); bcrypt crate one at a time on one thread \
             {single:.3} s (CPU {single_cpu:.2} s, {:.1} hashes per CPU s); {:.2}x per CPU s",
            n as f64 / pairs_cpu,
            n as f64 / single_cpu,
            single_cpu / pairs_cpu
        );
    }
}
