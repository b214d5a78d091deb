//! What reading a line of millions of fields costs, with the `csv` crate and with the import's
//! reader: the case that keeps the `csv` crate out of the import (see the module documentation
//! of `import::csv`). Its own test binary, with one test: the peak is measured by a counting
//! allocator, which other tests running at the same time would disturb.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_sync_core::import::{ImportLimits, Reader};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
            PEAK.fetch_max(now, Ordering::SeqCst);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // (counted as the old and the new block both live, as when the block moves)
            let now = LIVE.fetch_add(new_size, Ordering::SeqCst) + new_size;
            PEAK.fetch_max(now, Ordering::SeqCst);
            LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most bytes `f` had allocated at once beyond what was allocated when it started.
fn peak_of<T>(f: impl FnOnce() -> T) -> usize {
    let base = LIVE.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    drop(f());
    PEAK.load(Ordering::SeqCst) - base
}

#[test]
fn a_line_of_millions_of_fields_costs_the_csv_crate_eight_bytes_a_field() {
    const FIELDS: usize = 4_000_000;
    // a 4 MB file: a header and one line of four million empty fields
    let text = format!("email,x\na@b.co{}\n", ",".repeat(FIELDS - 1));

    let theirs = peak_of(|| {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut record = csv::ByteRecord::new();
        let mut counts = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            counts.push(record.len());
        }
        assert_eq!(counts, [2, FIELDS]);
    });
    let ours = peak_of(|| {
        let mut reader = Reader::new(&text, &ImportLimits::default()).unwrap();
        let record = reader.next().unwrap().unwrap();
        assert_eq!(record.field_count, FIELDS);
        assert_eq!(record.fields, ["a@b.co", "", ""]);
        assert!(reader.next().is_none());
    });
    // The crate keeps an end offset (a usize) for every field of a record, in a vector it grows
    // by doubling: about 50 MB at the peak for this 4 MB line (measured), where the import's
    // budget is 4x the file + 64 MB; a line of 256 MB (auth_sync.max_import_bytes) would take
    // about 3 GB.
    assert!(theirs >= 8 * FIELDS, "csv crate: {theirs} bytes");
    // We keep one field more than the header and only count the rest.
    assert!(ours < 64 * 1024, "ours: {ours} bytes");
}
