//! Times what `_import_prepare` does before hashing: [`prepare`] (parse and validate, rows kept
//! compact) and [`random_uuids`] (the new ids), on generated files of 100,000 rows (by default).
//!
//! ```text
//! cargo run --release -p auth_sync_core --example prepare_bench [ROWS] [RUNS]
//! ```
//!
//! Two files: `plain`, the columns bench/import.sh sends (email, password_hash, first_name,
//! last_name: a pre-hashed password, so nothing is hashed), and `full`, which adds an `id`, a
//! `created_at`, a quoted `user_metadata` object and a quoted field holding a line break. Prints
//! the best and the median of RUNS runs (default 15) of each, in milliseconds of the thread's CPU
//! time (less disturbed than the wall clock by other work on the machine).

use std::hint::black_box;

use auth_sync_core::import::{prepare, random_uuids, ImportLimits};

const HASH: &str = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";

fn plain(rows: usize) -> String {
    let mut s = String::from("email,password_hash,first_name,last_name\n");
    for i in 0..rows {
        s.push_str(&format!("user{i}@bench.example,{HASH},First{i},Last{i}\n"));
    }
    s
}

fn full(rows: usize) -> String {
    let mut s =
        String::from("email,password_hash,id,created_at,first_name,last_name,user_metadata,note\n");
    for i in 0..rows {
        s.push_str(&format!(
            "User{i}@Bench.Example,{HASH},{:08x}-1b2c-4d3e-8f40-{:012x},2024-02-{:02}T13:{:02}:07.25+02:00,\
             First{i},Last{i},\"{{\"\"plan\"\":\"\"pro\"\",\"\"seats\"\":{i}}}\",\"line one\nline two\"\n",
            i,
            i * 7,
            i % 28 + 1,
            i % 60
        ));
    }
    s
}

/// The CPU time this thread has used, in seconds.
fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn time(name: &str, input: &str, runs: usize) {
    let limits = ImportLimits::default();
    let mut ms: Vec<f64> = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = cpu_seconds();
        let p = prepare(black_box(input), &limits).expect("the generated file is valid");
        let ids = random_uuids(p.rows.len()).expect("the OS gives random bytes");
        black_box((&p.rows, &ids));
        let elapsed = cpu_seconds() - t;
        assert!(p
            .rows
            .iter()
            .all(|r| r.view().is_some_and(|v| v.is_valid())));
        drop(p);
        ms.push(elapsed * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "{name}: {} bytes, best {:.1} ms, median {:.1} ms",
        input.len(),
        ms[0],
        ms[ms.len() / 2]
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let runs: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(15)
        .max(1);
    time("plain", &plain(rows), runs);
    time("full", &full(rows), runs);
}
