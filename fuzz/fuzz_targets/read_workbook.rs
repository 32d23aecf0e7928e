//! Any bytes as an uploaded XLSX, XLS or ODS (the first byte picks the format): read or
//! refused, never a panic, an abort or an allocation by a size the file merely declares.
#![no_main]

use libfuzzer_sys::fuzz_target;
use roster_domain::import::sheet::{FileFormat, read_workbook};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else { return };
    let format = match pick % 3 {
        0 => FileFormat::Xlsx,
        1 => FileFormat::Xls,
        _ => FileFormat::Ods,
    };
    let _ = read_workbook(bytes.to_vec(), format, &mut |_| true);
});
