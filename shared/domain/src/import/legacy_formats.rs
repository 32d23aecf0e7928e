//! Writers for the two spreadsheet formats no well-kept crate writes: `.xls` (Excel 97–2003,
//! BIFF8 in a compound file) and `.ods` (OpenDocument). Seed 001 hands admins an `.xls`
//! template, and an admin who uploads `.xls` or `.ods` gets the error report back in the same
//! format. Both write one sheet of text cells, nothing else: the least a spreadsheet program
//! needs to open the file, and what calamine (our reader) reads back in the tests.

use std::io::Write;

/// BIFF8's limits: a report beyond them is written as XLSX instead.
pub const XLS_MAX_ROWS: usize = 65_536;
pub const XLS_MAX_COLUMNS: usize = 256;
/// Compound files without DIFAT sectors hold 109 FAT sectors: about 7 MB of workbook.
const MAX_FAT_SECTORS: usize = 109;
/// One record carries at most 8,224 bytes, so a text cell is cut at this many UTF-16 units.
const XLS_MAX_CELL_UNITS: usize = 4_000;

fn record(out: &mut Vec<u8>, id: u16, data: &[u8]) {
    out.extend_from_slice(&id.to_le_bytes());
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(data);
}

fn u16s(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn bof(kind: u16) -> Vec<u8> {
    let mut data = u16s(&[0x0600, kind, 0x0DBB, 0x07CC]);
    data.extend_from_slice(&0u32.to_le_bytes());
    data.extend_from_slice(&6u32.to_le_bytes());
    data
}

fn xf(style: bool) -> Vec<u8> {
    let mut data = u16s(&[0, 0, if style { 0xFFF5 } else { 0x0001 }]);
    data.extend_from_slice(&[0x20, 0, 0, if style { 0xF4 } else { 0 }]);
    data.extend_from_slice(&[0; 8]);
    data.extend_from_slice(&0x20C0u16.to_le_bytes());
    data
}

/// UTF-16 units of `text`, cut to `max` without splitting a surrogate pair.
fn utf16_cut(text: &str, max: usize) -> Vec<u16> {
    let mut units = Vec::new();
    for c in text.chars() {
        let mut buf = [0u16; 2];
        let encoded = c.encode_utf16(&mut buf);
        if units.len() + encoded.len() > max {
            break;
        }
        units.extend_from_slice(encoded);
    }
    units
}

/// The BIFF8 workbook stream: globals, then one worksheet of LABEL cells.
fn workbook_stream(sheet_name: &str, rows: &[Vec<String>]) -> Vec<u8> {
    let mut globals = Vec::new();
    record(&mut globals, 0x0809, &bof(0x0005));
    record(&mut globals, 0x00E1, &1200u16.to_le_bytes()); // INTERFACEHDR
    record(&mut globals, 0x00C1, &[0, 0]); // MMS
    record(&mut globals, 0x00E2, &[]); // INTERFACEEND
    record(&mut globals, 0x0042, &1200u16.to_le_bytes()); // CODEPAGE: UTF-16
    record(
        &mut globals,
        0x003D, // WINDOW1
        &u16s(&[0, 0, 0x4000, 0x2000, 0x0038, 0, 0, 1, 0x0258]),
    );
    record(&mut globals, 0x0022, &[0, 0]); // DATEMODE: 1900
    for _ in 0..4 {
        let mut font = u16s(&[200, 0, 0x7FFF, 400, 0]);
        font.extend_from_slice(&[0, 0, 0, 0, 5, 0]);
        font.extend_from_slice(b"Arial");
        record(&mut globals, 0x0031, &font);
    }
    for i in 0..16 {
        record(&mut globals, 0x00E0, &xf(i < 15));
    }
    record(&mut globals, 0x0293, &[0x00, 0x80, 0x00, 0xFF]); // STYLE: Normal
    let name = utf16_cut(sheet_name, 31);
    let mut boundsheet = vec![0u8; 4]; // patched with the sheet's offset below
    boundsheet.extend_from_slice(&[0, 0, name.len() as u8, 1]);
    boundsheet.extend_from_slice(&u16s(&name));
    let boundsheet_at = globals.len() + 4;
    record(&mut globals, 0x0085, &boundsheet);
    record(&mut globals, 0x000A, &[]);
    let sheet_at = globals.len() as u32;
    globals[boundsheet_at..boundsheet_at + 4].copy_from_slice(&sheet_at.to_le_bytes());

    let mut sheet = Vec::new();
    record(&mut sheet, 0x0809, &bof(0x0010));
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut dimensions = (rows.len() as u32).to_le_bytes().to_vec();
    dimensions.splice(0..0, 0u32.to_le_bytes());
    dimensions.extend_from_slice(&u16s(&[0, width as u16, 0]));
    record(&mut sheet, 0x0200, &dimensions);
    let mut window2 = u16s(&[0x06B6, 0, 0]);
    window2.extend_from_slice(&0x40u32.to_le_bytes());
    window2.extend_from_slice(&[0; 8]);
    record(&mut sheet, 0x023E, &window2);
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            let units = utf16_cut(text, XLS_MAX_CELL_UNITS);
            let mut label = u16s(&[r as u16, c as u16, 15, units.len() as u16]);
            label.push(1); // uncompressed UTF-16
            label.extend_from_slice(&u16s(&units));
            record(&mut sheet, 0x0204, &label);
        }
    }
    record(&mut sheet, 0x000A, &[]);
    globals.extend_from_slice(&sheet);
    globals
}

const FREE: u32 = 0xFFFF_FFFF;
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const FAT_SECTOR: u32 = 0xFFFF_FFFD;

fn directory_entry(name: &str, kind: u8, child: u32, start: u32, size: u32) -> Vec<u8> {
    let mut entry = vec![0u8; 128];
    let units: Vec<u16> = name.encode_utf16().collect();
    for (i, unit) in units.iter().enumerate() {
        entry[i * 2..i * 2 + 2].copy_from_slice(&unit.to_le_bytes());
    }
    let name_bytes = if name.is_empty() {
        0
    } else {
        (units.len() as u16 + 1) * 2
    };
    entry[64..66].copy_from_slice(&name_bytes.to_le_bytes());
    entry[66] = kind;
    entry[67] = 1; // black
    entry[68..72].copy_from_slice(&FREE.to_le_bytes()); // left sibling: none
    entry[72..76].copy_from_slice(&FREE.to_le_bytes()); // right sibling: none
    entry[76..80].copy_from_slice(&child.to_le_bytes());
    entry[116..120].copy_from_slice(&start.to_le_bytes());
    entry[120..124].copy_from_slice(&size.to_le_bytes());
    entry
}

/// A version 3 compound file holding one stream, `Workbook`, in regular sectors (padded to
/// the 4,096-byte mini-stream cutoff, so no mini stream is needed).
fn compound_file(stream: &[u8]) -> Result<Vec<u8>, String> {
    let size = stream.len().max(4096);
    let data_sectors = size.div_ceil(512);
    let mut fat_sectors = 1;
    while fat_sectors * 128 < fat_sectors + 1 + data_sectors {
        fat_sectors += 1;
    }
    if fat_sectors > MAX_FAT_SECTORS {
        return Err("the workbook is too large for an .xls file".into());
    }
    let directory = fat_sectors as u32;
    let first_data = directory + 1;

    let mut out = Vec::with_capacity((1 + fat_sectors + 1 + data_sectors) * 512);
    out.extend_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    out.extend_from_slice(&[0; 16]);
    out.extend_from_slice(&u16s(&[0x003E, 0x0003, 0xFFFE, 9, 6, 0, 0, 0]));
    for value in [0, fat_sectors as u32, directory, 0, 4096, END_OF_CHAIN, 0] {
        out.extend_from_slice(&value.to_le_bytes());
    }
    out.extend_from_slice(&END_OF_CHAIN.to_le_bytes()); // no DIFAT sectors
    out.extend_from_slice(&0u32.to_le_bytes());
    for i in 0..109 {
        let entry = if i < fat_sectors { i as u32 } else { FREE };
        out.extend_from_slice(&entry.to_le_bytes());
    }
    debug_assert_eq!(out.len(), 512);

    let mut fat = vec![FREE; fat_sectors * 128];
    fat[..fat_sectors].fill(FAT_SECTOR);
    fat[directory as usize] = END_OF_CHAIN;
    for k in 0..data_sectors {
        let at = first_data as usize + k;
        fat[at] = if k + 1 == data_sectors {
            END_OF_CHAIN
        } else {
            at as u32 + 1
        };
    }
    for entry in fat {
        out.extend_from_slice(&entry.to_le_bytes());
    }
    out.extend_from_slice(&directory_entry("Root Entry", 5, 1, END_OF_CHAIN, 0));
    out.extend_from_slice(&directory_entry(
        "Workbook",
        2,
        FREE,
        first_data,
        size as u32,
    ));
    out.extend_from_slice(&directory_entry("", 0, FREE, 0, 0));
    out.extend_from_slice(&directory_entry("", 0, FREE, 0, 0));
    out.extend_from_slice(stream);
    out.resize(out.len() + data_sectors * 512 - stream.len(), 0);
    Ok(out)
}

/// An `.xls` workbook with one sheet of text cells.
pub fn write_xls(sheet_name: &str, rows: &[Vec<String>]) -> Result<Vec<u8>, String> {
    if rows.len() > XLS_MAX_ROWS || rows.iter().any(|r| r.len() > XLS_MAX_COLUMNS) {
        return Err(format!(
            "an .xls sheet holds at most {XLS_MAX_ROWS} rows and {XLS_MAX_COLUMNS} columns"
        ));
    }
    compound_file(&workbook_stream(sheet_name, rows))
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // XML 1.0 has no escape for most control characters: drop them.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

const ODS_MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"#;

/// An `.ods` workbook with one sheet of text cells.
pub fn write_ods(sheet_name: &str, rows: &[Vec<String>]) -> Result<Vec<u8>, String> {
    let mut content = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>"#,
    );
    content.push_str(&format!(
        r#"<table:table table:name="{}">"#,
        xml_escape(sheet_name)
    ));
    for row in rows {
        content.push_str("<table:table-row>");
        for cell in row {
            if cell.is_empty() {
                content.push_str("<table:table-cell/>");
            } else {
                content.push_str(&format!(
                    r#"<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>"#,
                    xml_escape(cell)
                ));
            }
        }
        content.push_str("</table:table-row>");
    }
    content.push_str("</table:table></office:spreadsheet></office:body></office:document-content>");

    let error = |e: zip::result::ZipError| format!("the .ods file could not be written: {e}");
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // The mimetype comes first and uncompressed, so tools recognise the file by its start.
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("mimetype", stored).map_err(error)?;
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .map_err(|e| e.to_string())?;
    zip.start_file("META-INF/manifest.xml", deflated)
        .map_err(error)?;
    zip.write_all(ODS_MANIFEST.as_bytes())
        .map_err(|e| e.to_string())?;
    zip.start_file("content.xml", deflated).map_err(error)?;
    zip.write_all(content.as_bytes())
        .map_err(|e| e.to_string())?;
    Ok(zip.finish().map_err(error)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::sheet::{FileFormat, SheetEvent, read_workbook};

    fn read_back(bytes: Vec<u8>, format: FileFormat) -> Vec<Vec<String>> {
        let mut lines = Vec::new();
        read_workbook(bytes, format, &mut |e| {
            lines.push(match e {
                SheetEvent::Header(h) => h,
                SheetEvent::Row(r) => r.cells,
            });
            true
        })
        .unwrap();
        lines
    }

    fn sample() -> Vec<Vec<String>> {
        vec![
            vec!["Row".into(), "Login".into(), "Errors".into()],
            vec!["2".into(), "zoë.müller".into(), "a <b> & \"c\" — 😀".into()],
            vec!["3".into(), String::new(), "x".repeat(5000)],
        ]
    }

    #[test]
    fn xls_files_read_back_with_every_character() {
        let bytes = write_xls("Errors", &sample()).unwrap();
        assert_eq!(
            &bytes[..8],
            &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]
        );
        let lines = read_back(bytes, FileFormat::Xls);
        assert_eq!(lines[0], sample()[0]);
        assert_eq!(lines[1], sample()[1]);
        assert_eq!(lines[2][0], "3");
        assert_eq!(
            lines[2][2].len(),
            XLS_MAX_CELL_UNITS,
            "long cells are cut to fit a record"
        );
    }

    #[test]
    fn large_xls_files_span_several_fat_sectors() {
        let rows: Vec<Vec<String>> = (0..3000)
            .map(|i| vec![format!("user{i}"), "x".repeat(40)])
            .collect();
        let bytes = write_xls("Users", &rows).unwrap();
        assert!(bytes.len() > 128 * 512, "more than one FAT sector's worth");
        let lines = read_back(bytes, FileFormat::Xls);
        assert_eq!(lines.len(), 3000);
        assert_eq!(lines[2999][0], "user2999");
    }

    #[test]
    fn xls_limits_are_refused_not_truncated() {
        let wide = vec![vec![String::from("x"); XLS_MAX_COLUMNS + 1]];
        assert!(write_xls("Errors", &wide).is_err());
    }

    #[test]
    fn ods_files_read_back_with_every_character() {
        let bytes = write_ods("Errors", &sample()).unwrap();
        let lines = read_back(bytes, FileFormat::Ods);
        assert_eq!(lines[0], sample()[0]);
        assert_eq!(lines[1], sample()[1]);
        assert_eq!(lines[2][2].len(), 5000);
    }
}
