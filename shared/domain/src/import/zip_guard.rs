//! XLSX and ODS files are zip archives whose parts calamine inflates and, for some parts, holds
//! whole in memory when the workbook opens: an XLSX's shared strings (with room reserved up
//! front for the count the file declares) and every sheet of an ODS, expanded densely with its
//! `number-columns-repeated` and `number-rows-repeated` counts. A hostile file can lie about all
//! of these (issue 16), so this inflates every part once, streaming and counting what is really
//! there, and refuses a file before calamine would allocate by a number the file made up. It
//! reads XML with a streaming reader and builds nothing.

use std::io::{BufReader, Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::import::sheet::{FileFormat, MAX_UNPACKED_BYTES};
use crate::import::xls_guard::MAX_XLS_SPAN_CELLS;

/// Unpacked size of an XLSX's shared strings part: calamine keeps every string in memory.
pub const MAX_SHARED_STRINGS_BYTES: u64 = 256 * 1024 * 1024;
/// Shared strings an XLSX may hold or declare (calamine reserves room for the declared count).
pub const MAX_SHARED_STRINGS: u64 = 10_000_000;
/// Cells calamine may build for the sheets of an ODS, all of which it holds at once.
pub const MAX_ODS_CELLS: u64 = MAX_XLS_SPAN_CELLS;

/// The widest and longest sheet calamine builds for an ODS (it caps repeats at these).
const ODS_MAX_COLUMNS: u64 = 16_384;
const ODS_MAX_ROWS: u64 = 1_048_576;

/// Why an XLSX or ODS is refused before calamine opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZipRefusal {
    /// Not a zip archive, or a part cannot be inflated (damaged, encrypted).
    Unreadable,
    /// The parts would unpack to more than [`MAX_UNPACKED_BYTES`].
    UnpacksTooLarge,
    /// A part inflates to more than the size its archive entry declares.
    SizesLie,
    /// The shared strings part is larger than [`MAX_SHARED_STRINGS_BYTES`] unpacked, or holds
    /// or declares more than [`MAX_SHARED_STRINGS`] strings, or declares more than it holds.
    SharedStrings {
        bytes: u64,
        declared: u64,
        held: u64,
    },
    /// The sheets of an ODS would be built as this many cells.
    TooManyCells { cells: u64 },
}

/// Checks an XLSX or ODS held in memory; see the module documentation.
pub fn check_zip_workbook(bytes: &[u8], format: FileFormat) -> Result<(), ZipRefusal> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| ZipRefusal::Unreadable)?;
    let mut declared_total = 0u128;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|_| ZipRefusal::Unreadable)?;
        declared_total += u128::from(entry.size());
    }
    if declared_total > u128::from(MAX_UNPACKED_BYTES) {
        return Err(ZipRefusal::UnpacksTooLarge);
    }
    let mut unpacked = 0u64;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|_| ZipRefusal::Unreadable)?;
        let declared = entry.size();
        let name = entry
            .name()
            .map_err(|_| ZipRefusal::Unreadable)?
            .to_ascii_lowercase();
        // Never read more than the entry declares (plus one chunk to see the lie), so a part
        // cannot make this guard itself inflate without bound.
        let mut part = Counted {
            inner: entry,
            count: 0,
            limit: declared.saturating_add(1),
        };
        if format == FileFormat::Xlsx && name.ends_with("sharedstrings.xml") {
            check_shared_strings(&mut part)?;
        } else if format == FileFormat::Ods && name == "content.xml" {
            check_ods_content(&mut part)?;
        }
        std::io::copy(&mut part, &mut std::io::sink()).map_err(|_| ZipRefusal::Unreadable)?;
        if part.count > declared {
            return Err(ZipRefusal::SizesLie);
        }
        unpacked = unpacked.saturating_add(part.count);
        if unpacked > MAX_UNPACKED_BYTES {
            return Err(ZipRefusal::UnpacksTooLarge);
        }
    }
    Ok(())
}

/// A part's reader that counts the bytes it yields and stops one past a limit.
struct Counted<R> {
    inner: R,
    count: u64,
    limit: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let room = self.limit.saturating_sub(self.count);
        if room == 0 {
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.count += n as u64;
        Ok(n)
    }
}

fn attribute(element: &BytesStart<'_>, name: &str) -> Option<u64> {
    element
        .attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.as_ref() == name || a.key.local_name().as_ref() == name)
        .and_then(|a| a.value.trim().parse().ok())
}

/// Counts the `<si>` items and reads the declared `uniqueCount` of an XLSX's shared strings.
fn check_shared_strings<R: Read>(part: &mut Counted<R>) -> Result<(), ZipRefusal> {
    let mut xml = Reader::from_reader(BufReader::new(part));
    let (mut declared, mut held) = (0u64, 0u64);
    let mut buf = Vec::new();
    loop {
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => match e.local_name().as_ref() {
                "sst" => declared = attribute(&e, "uniqueCount").unwrap_or(0),
                "si" => held += 1,
                _ => {}
            },
            Ok(Event::Eof) => break,
            // calamine refuses malformed XML itself, before building anything from it.
            Err(_) => break,
            Ok(_) => {}
        }
        buf.clear();
    }
    let bytes = xml.get_ref().get_ref().count;
    if bytes > MAX_SHARED_STRINGS_BYTES
        || declared.max(held) > MAX_SHARED_STRINGS
        || declared > held
    {
        return Err(ZipRefusal::SharedStrings {
            bytes,
            declared,
            held,
        });
    }
    Ok(())
}

/// Bounds the cells calamine builds for the tables of an ODS's content: per row, every cell up
/// to the last one with a value (repeats included, at most 16,384); then, per table, the dense
/// rectangle from the first to the last row with a value (row repeats included).
fn check_ods_content<R: Read>(part: &mut Counted<R>) -> Result<(), ZipRefusal> {
    let mut xml = Reader::from_reader(BufReader::new(part));
    let mut buf = Vec::new();
    let mut cells = 0u64;
    let mut table = OdsTable::default();
    let mut row: Option<OdsRow> = None;
    loop {
        let event = match xml.read_event_into(&mut buf) {
            Ok(Event::Eof) | Err(_) => break,
            Ok(event) => event,
        };
        match event {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "table:table" => {
                cells = cells.saturating_add(table.dense());
                table = OdsTable::default();
            }
            Event::Start(e) if e.name().as_ref() == "table:table-row" => {
                let repeats = attribute(&e, "table:number-rows-repeated").unwrap_or(1);
                row = Some(OdsRow {
                    repeats: repeats.clamp(1, ODS_MAX_ROWS),
                    ..OdsRow::default()
                });
            }
            Event::Empty(e) if e.name().as_ref() == "table:table-row" => {
                let repeats = attribute(&e, "table:number-rows-repeated").unwrap_or(1);
                table.row(&OdsRow {
                    repeats: repeats.clamp(1, ODS_MAX_ROWS),
                    ..OdsRow::default()
                });
            }
            Event::Start(ref e) | Event::Empty(ref e)
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                let repeats = attribute(e, "table:number-columns-repeated")
                    .unwrap_or(1)
                    .clamp(1, ODS_MAX_COLUMNS);
                // A cell with a value type, a formula or content may hold a value.
                let valued = matches!(event, Event::Start(_))
                    || e.attributes()
                        .with_checks(false)
                        .flatten()
                        .any(|a| matches!(a.key.as_ref(), "office:value-type" | "table:formula"));
                if let Some(row) = row.as_mut() {
                    row.cell(repeats, valued);
                }
            }
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                if let Some(row) = row.take() {
                    cells = cells.saturating_add(row.end);
                    table.row(&row);
                }
            }
            _ => {}
        }
        buf.clear();
        if cells.saturating_add(table.dense()) > MAX_ODS_CELLS {
            break;
        }
    }
    let cells = cells.saturating_add(table.dense());
    if cells > MAX_ODS_CELLS {
        return Err(ZipRefusal::TooManyCells { cells });
    }
    Ok(())
}

/// One row of an ODS table as calamine builds it: the cells up to the last valued one.
#[derive(Default)]
struct OdsRow {
    repeats: u64,
    width: u64,
    end: u64,
}

impl OdsRow {
    fn cell(&mut self, repeats: u64, valued: bool) {
        self.width = (self.width + repeats).min(ODS_MAX_COLUMNS);
        if valued {
            self.end = self.width;
        }
    }
}

/// The dense rectangle calamine builds for one table.
#[derive(Default)]
struct OdsTable {
    /// Rows from the first valued row to the last, repeats included.
    rows: u64,
    /// Rows after the last valued row (they count only if a valued row follows).
    pending: u64,
    width: u64,
}

impl OdsTable {
    fn row(&mut self, row: &OdsRow) {
        if row.end == 0 {
            if self.rows > 0 {
                self.pending = self.pending.saturating_add(row.repeats);
            }
            return;
        }
        self.rows = self
            .rows
            .saturating_add(self.pending)
            .saturating_add(row.repeats)
            .min(ODS_MAX_ROWS);
        self.pending = 0;
        self.width = self.width.max(row.end);
    }

    fn dense(&self) -> u64 {
        self.rows.saturating_mul(self.width)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in parts {
            zip.start_file(*name, options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
        out.into_inner()
    }

    fn ods(content: &str) -> Vec<u8> {
        zip_of(&[("content.xml", content.as_bytes())])
    }

    fn table(rows: &str) -> String {
        format!(
            r#"<office:document-content><office:body><office:spreadsheet><table:table table:name="S">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
        )
    }

    #[test]
    fn the_example_workbooks_pass() {
        let xlsx = include_bytes!("../../../../examples/users.xlsx");
        assert_eq!(check_zip_workbook(xlsx, FileFormat::Xlsx), Ok(()));
        let ods = include_bytes!("../../../../tests/fixtures/users.ods");
        assert_eq!(check_zip_workbook(ods, FileFormat::Ods), Ok(()));
        assert_eq!(
            check_zip_workbook(b"not a zip", FileFormat::Xlsx),
            Err(ZipRefusal::Unreadable)
        );
    }

    #[test]
    fn a_declared_string_count_beyond_the_strings_held_is_refused() {
        let sst =
            br#"<sst xmlns="x" count="1" uniqueCount="100000000000000000"><si><t>a</t></si></sst>"#;
        let file = zip_of(&[("xl/sharedStrings.xml", sst)]);
        assert_eq!(
            check_zip_workbook(&file, FileFormat::Xlsx),
            Err(ZipRefusal::SharedStrings {
                bytes: sst.len() as u64,
                declared: 100_000_000_000_000_000,
                held: 1
            })
        );
        let honest = br#"<sst uniqueCount="2"><si><t>a</t></si><si><t>b</t></si></sst>"#;
        let file = zip_of(&[("xl/sharedStrings.xml", honest)]);
        assert_eq!(check_zip_workbook(&file, FileFormat::Xlsx), Ok(()));
    }

    #[test]
    fn a_part_that_inflates_past_its_declared_size_is_refused() {
        let mut file = zip_of(&[("xl/worksheets/sheet1.xml", &[b'a'; 10_000])]);
        // Declare 100 bytes unpacked in the local header and the central directory.
        let mut patched = 0;
        for signature in [&b"PK\x03\x04"[..], &b"PK\x01\x02"[..]] {
            let at = file.windows(4).position(|w| w == signature).unwrap();
            let size_at = at + if signature[2] == 3 { 22 } else { 24 };
            file[size_at..size_at + 4].copy_from_slice(&100u32.to_le_bytes());
            patched += 1;
        }
        assert_eq!(patched, 2);
        assert!(matches!(
            check_zip_workbook(&file, FileFormat::Xlsx),
            Err(ZipRefusal::SizesLie | ZipRefusal::Unreadable)
        ));
    }

    #[test]
    fn repeated_ods_cells_count_as_calamine_builds_them() {
        // One valued cell repeated across every column, in 1,000 rows: 16 million cells.
        let row = r#"<table:table-row><table:table-cell table:number-columns-repeated="99999" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>"#;
        let file = ods(&table(&row.repeat(1_000)));
        assert!(matches!(
            check_zip_workbook(&file, FileFormat::Ods),
            Err(ZipRefusal::TooManyCells { cells }) if cells > MAX_ODS_CELLS
        ));
        // A valued row repeated a million times is built a million times.
        let rows = r#"<table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="10" office:value-type="float" office:value="1"/></table:table-row>"#;
        assert!(matches!(
            check_zip_workbook(&ods(&table(rows)), FileFormat::Ods),
            Err(ZipRefusal::TooManyCells { .. })
        ));
        // Empty repeats, as every spreadsheet program writes them after the data, cost nothing.
        let tail = r#"<table:table-row><table:table-cell office:value-type="string"><text:p>login</text:p></table:table-cell><table:table-cell table:number-columns-repeated="16383"/></table:table-row><table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>"#;
        assert_eq!(
            check_zip_workbook(&ods(&table(tail)), FileFormat::Ods),
            Ok(())
        );
    }
}
