//! Any header row (NUL-separated cells) maps onto columns or is refused with words.
#![no_main]

use libfuzzer_sys::fuzz_target;
use roster_domain::import::columns::HeaderMap;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let headers: Vec<String> = text.split('\0').map(str::to_owned).collect();
    if let Ok(map) = HeaderMap::new(&headers) {
        assert_eq!(map.columns.len(), headers.len());
    }
});
