//! Any bytes as an uploaded XLSX, XLS or ODS (the first byte picks the format): read or
//! refused, never a panic, an abort or an allocation by a size the file merely declares.
#![no_main]

use libfuzzer_sys::fuzz_target;
use roster_domain::import::sheet::{FileFormat, read_workbook};

fuzz_target!(|data: &[u8]| {
    // The reader catches calamine's panics and refuses the file, as the worker does: only a
    // panic that escapes it is a crash (libfuzzer-sys aborts on those after its own catch).
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let Some((&pick, bytes)) = data.split_first() else { return };
    let format = match pick % 3 {
        0 => FileFormat::Xlsx,
        1 => FileFormat::Xls,
        _ => FileFormat::Ods,
    };
    let _ = read_workbook(bytes.to_vec(), format, &mut |_| true);
});
