//! Any bytes as an uploaded CSV: the reader detects the dialect and yields rows, or refuses
//! the file with words; it never panics, and a row keeps at most one cell past
//! `MAX_ROW_CELLS` (enough to fail it), whatever the line holds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use roster_domain::import::sheet::{MAX_ROW_CELLS, SheetEvent, read_csv};

fuzz_target!(|data: &[u8]| {
    let _ = read_csv(data, &mut |event| {
        if let SheetEvent::Row(row) = &event {
            assert!(row.cells.len() <= MAX_ROW_CELLS + 1, "a row kept {} cells", row.cells.len());
        }
        true
    });
});
