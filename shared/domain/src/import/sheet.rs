//! Reading import files row by row: CSV streamed from any reader (delimiter and encoding
//! detected), XLSX, XLS and ODS through calamine (first sheet). Cells come out as the text a
//! person typed: numbers that are phone numbers or IMEIs keep all their digits, with no `.0`
//! and no exponent.

use std::io::{BufRead, BufReader, Cursor, Read};

use calamine::{Data, DataRef, Reader, Sheets};
use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// Files larger than this are refused before reading.
pub const MAX_FILE_BYTES: u64 = 200 * 1024 * 1024;
/// Data rows (after the header) a file may have.
pub const MAX_ROWS: u64 = 1_000_000;
/// Cells a data row may have: a row with more fails alone (its report line keeps the first
/// ones), so one broken line cannot blow up the job's memory or its report.
pub const MAX_ROW_CELLS: usize = 1_000;
/// Header cells read: enough to name every stray column of a real sheet in the warnings,
/// bounded so a header line of delimiters cannot become millions of strings.
pub const MAX_HEADER_CELLS: usize = 100_000;
/// What the parts of an XLSX/ODS may inflate to in total (zip-bomb guard).
pub const MAX_UNPACKED_BYTES: u64 = 2 * 1024 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Xlsx,
    Xls,
    Ods,
}

impl FileFormat {
    /// By extension; anything that is not a known spreadsheet is read as CSV text.
    pub fn from_name(name: &str) -> Self {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".xlsx") || lower.ends_with(".xlsm") {
            Self::Xlsx
        } else if lower.ends_with(".xls") {
            Self::Xls
        } else if lower.ends_with(".ods") {
            Self::Ods
        } else {
            Self::Csv
        }
    }
}

/// A data row: its number as a person sees it in the sheet (1-based), and its cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub number: u64,
    pub cells: Vec<String>,
}

impl Row {
    fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }
}

/// What the reader reports, in order: the header once, then data rows.
#[derive(Debug)]
pub enum SheetEvent {
    Header(Vec<String>),
    Row(Row),
}

/// A file-level failure, in words for the job record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ReadError(pub String);

fn read_error(message: impl Into<String>) -> ReadError {
    ReadError(message.into())
}

/// How CSV text was written: found by looking at its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvDialect {
    pub delimiter: u8,
    pub encoding: &'static Encoding,
    /// Bytes of a byte-order mark before the text (the decoder drops it).
    pub bom_bytes: u8,
}

/// How a whole read of a CSV ended: its dialect and how much text the decoder produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvRead {
    pub dialect: CsvDialect,
    /// Bytes of decoded (UTF-8) text, the byte-order mark left out.
    pub text_bytes: u64,
}

impl CsvRead {
    /// Whether a record's place in the decoded text plus the mark is its place in a file of
    /// `file_bytes`: true when the file is UTF-8 that decoding left untouched (decoding never
    /// makes text shorter, so equal lengths mean no byte was replaced). Only then can a
    /// reader start at a record's byte.
    pub fn offsets_are_file_bytes(&self, file_bytes: u64) -> bool {
        self.dialect.encoding == UTF_8
            && u64::from(self.dialect.bom_bytes) + self.text_bytes == file_bytes
    }
}

/// Where a CSV read starts: at the top (header, dialect sniffed), or at a data record whose
/// byte in the file an earlier read found, in that read's dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvStart {
    Top,
    Record {
        dialect: CsvDialect,
        /// The record's row number: rows keep the numbers they have in the whole file.
        row: u64,
    },
}

/// The decoded text on its way to the CSV reader, with the line-break bytes it holds noted
/// down, so that a record gets the row a spreadsheet shows it on and the byte it truly
/// starts at. The csv crate's own line count runs one short after a CRLF and after blank
/// lines, and a record's position can point at the line break before it (rust-csv #395,
/// #208); a spreadsheet also keeps a quoted line break inside its row.
struct LineBreaks<R> {
    inner: R,
    /// Bytes handed to the reader so far.
    read: u64,
    /// Line-break bytes handed over but not yet passed by a record, and whether each ends
    /// a line (a CR, or an LF not after a CR).
    pending: std::collections::VecDeque<(u64, bool)>,
    after_cr: bool,
    /// Lines ended before the last record located, and those inside its quoted cells.
    lines: u64,
    quoted: u64,
}

impl<R: Read> Read for LineBreaks<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut last = 0;
        for at in memchr::memchr2_iter(b'\r', b'\n', &buf[..n]) {
            let ends_line = buf[at] == b'\r' || !(self.after_cr && at == last);
            self.after_cr = buf[at] == b'\r';
            last = at + 1;
            self.pending.push_back((self.read + at as u64, ends_line));
        }
        if n > 0 && last < n {
            self.after_cr = false;
        }
        self.read += n as u64;
        Ok(n)
    }
}

impl<R> LineBreaks<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            read: 0,
            pending: Default::default(),
            after_cr: false,
            lines: 0,
            quoted: 0,
        }
    }

    /// Where the record the reader placed at `byte` starts, past any line break there,
    /// and its row counted from the read's first row.
    fn locate(&mut self, mut byte: u64) -> (u64, u64) {
        while let Some(&(at, ends_line)) = self.pending.front() {
            if at > byte {
                break;
            }
            if at == byte {
                byte += 1;
            }
            self.lines += u64::from(ends_line);
            self.pending.pop_front();
        }
        (byte, self.lines - self.quoted)
    }

    /// The line breaks inside a record's cells: the record stays one row.
    fn quoted_in(&mut self, record: &csv::StringRecord) {
        let text = record.as_byte_record().as_slice();
        if memchr::memchr2(b'\r', b'\n', text).is_some() {
            let mut after_cr = false;
            for at in memchr::memchr2_iter(b'\r', b'\n', text) {
                self.quoted += u64::from(text[at] == b'\r' || !after_cr);
                after_cr = text[at] == b'\r';
            }
        }
    }
}

fn sniff_encoding(head: &[u8]) -> Result<&'static Encoding, ReadError> {
    if let Some((encoding, _)) = Encoding::for_bom(head) {
        return Ok(encoding);
    }
    if head.contains(&0) {
        return Err(read_error(
            "the file is not text in a known encoding (save it as CSV UTF-8, or as XLSX)",
        ));
    }
    match std::str::from_utf8(head) {
        Ok(_) => Ok(UTF_8),
        // A multi-byte character cut at the end of the sample is still UTF-8.
        Err(e) if e.error_len().is_none() && head.len() - e.valid_up_to() < 4 => Ok(UTF_8),
        Err(_) => Ok(WINDOWS_1252),
    }
}

/// The most frequent of `,` `;` and tab in the first line, outside quotes.
fn sniff_delimiter(first_line: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in first_line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|i| (counts[*i], 2 - *i)).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

/// Reads CSV from `input` without holding it in memory, calling `visit` per event; `visit`
/// returns `false` to stop early. Returns the dialect it detected.
pub fn read_csv<R: Read>(
    input: R,
    visit: &mut dyn FnMut(SheetEvent) -> bool,
) -> Result<CsvDialect, ReadError> {
    read_csv_at(input, CsvStart::Top, &mut |event, _| visit(event)).map(|read| read.dialect)
}

/// [`read_csv`] from `start`, telling `visit` where each record starts in the decoded text
/// (see [`CsvRead::offsets_are_file_bytes`] for when that is its byte in the file). From a
/// record, every non-blank line is a data row.
pub fn read_csv_at<R: Read>(
    input: R,
    start: CsvStart,
    visit: &mut dyn FnMut(SheetEvent, u64) -> bool,
) -> Result<CsvRead, ReadError> {
    let mut buffered = BufReader::with_capacity(64 * 1024, input);
    let (dialect, first_row) = match start {
        CsvStart::Top => (sniff_dialect(&mut buffered)?, 1),
        CsvStart::Record { dialect, row } => (dialect, row),
    };
    let text = encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(dialect.encoding))
        .bom_override(true)
        .build(buffered);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(dialect.delimiter)
        .from_reader(LineBreaks::new(text));
    let mut header_seen = start != CsvStart::Top;
    let mut record = csv::StringRecord::new();
    loop {
        let at = reader.position().byte();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let (_, row) = reader.get_mut().locate(at);
                let line = first_row + row;
                return Err(read_error(format!(
                    "the CSV cannot be read near line {line}: {e}"
                )));
            }
        }
        let breaks = reader.get_mut();
        let (byte, row) = breaks.locate(record.position().map_or(at, |p| p.byte()));
        breaks.quoted_in(&record);
        // One cell past the limit is enough to fail a row: a line of a million delimiters
        // must not become a million strings (found by the read_csv fuzz target).
        let limit = if header_seen {
            MAX_ROW_CELLS + 1
        } else {
            MAX_HEADER_CELLS
        };
        let row = Row {
            number: first_row + row,
            cells: record
                .iter()
                .take(limit)
                .map(|c| c.trim_start_matches('\u{feff}').to_owned())
                .collect(),
        };
        if row.is_blank() {
            continue;
        }
        let event = if header_seen {
            SheetEvent::Row(row)
        } else {
            header_seen = true;
            SheetEvent::Header(row.cells)
        };
        if !visit(event, byte) {
            break;
        }
    }
    if !header_seen {
        return Err(read_error("the file is empty"));
    }
    Ok(CsvRead {
        dialect,
        text_bytes: reader.position().byte(),
    })
}

/// The encoding and delimiter, from the first block of the file (left in the buffer).
fn sniff_dialect<R: Read>(buffered: &mut BufReader<R>) -> Result<CsvDialect, ReadError> {
    let head = buffered
        .fill_buf()
        .map_err(|e| read_error(format!("the file could not be read: {e}")))?;
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(read_error("the file is empty"));
    }
    let encoding = sniff_encoding(head)?;
    let bom_bytes = Encoding::for_bom(head).map_or(0, |(_, len)| len as u8);
    let (decoded_head, _, _) = encoding.decode(head);
    let first_line = decoded_head
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .trim_start_matches('\u{feff}');
    Ok(CsvDialect {
        delimiter: sniff_delimiter(first_line),
        encoding,
        bom_bytes,
    })
}

/// A number as the digits a person typed: `2015550123`, not `2015550123.0` or `2.01e9`.
fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e17 {
        format!("{f:.0}")
    } else {
        f.to_string()
    }
}

fn data_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.to_string(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn data_ref_text(cell: &DataRef<'_>) -> String {
    match cell {
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::String(s) => s.clone(),
        DataRef::Empty => String::new(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => Data::DateTime(*d).to_string_lossy(),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => format!("#{e:?}"),
    }
}

trait Lossy {
    fn to_string_lossy(&self) -> String;
}

impl Lossy for Data {
    fn to_string_lossy(&self) -> String {
        data_text(self)
    }
}

/// Refuses an XLSX or ODS that would make calamine allocate by a size the file made up.
fn refuse_hostile_zip(bytes: &[u8], format: FileFormat) -> Result<(), ReadError> {
    use crate::import::zip_guard::{
        MAX_SHARED_STRINGS, MAX_SHARED_STRINGS_BYTES, ZipRefusal, check_zip_workbook,
    };
    const MB: u64 = 1024 * 1024;
    match check_zip_workbook(bytes, format) {
        Ok(()) => Ok(()),
        Err(ZipRefusal::Unreadable) => Err(not_a_workbook()),
        Err(ZipRefusal::UnpacksTooLarge) => Err(read_error(format!(
            "the file would unpack to more than {} GB: it is refused",
            MAX_UNPACKED_BYTES >> 30
        ))),
        Err(ZipRefusal::SizesLie) => Err(read_error(
            "the file is damaged: a part unpacks to more than its recorded size (save it again from your spreadsheet program)",
        )),
        Err(ZipRefusal::SharedStrings { declared, held, .. }) if declared > held => {
            Err(read_error(format!(
                "the file is damaged: it declares {declared} texts but holds {held} (save it again from your spreadsheet program)"
            )))
        }
        Err(ZipRefusal::SharedStrings { bytes, held, .. }) => Err(read_error(format!(
            "the workbook's texts take {} MB in {held} distinct values, more than an import reads ({} MB, {MAX_SHARED_STRINGS} values): split it, or save it as CSV",
            bytes.div_ceil(MB),
            MAX_SHARED_STRINGS_BYTES / MB
        ))),
        Err(ZipRefusal::TooManyCells { cells }) => Err(read_error(format!(
            "the workbook's sheets hold about {cells} cells with repeated and empty ones counted, more than an ODS import reads: delete the cells outside the table, or save it as CSV or XLSX, which are read row by row"
        ))),
    }
}

fn not_a_workbook() -> ReadError {
    read_error(
        "the file is not a readable spreadsheet (damaged, password-protected, or not the format its name says)",
    )
}

/// Emits rows of one sheet given as (row index, column index, text) cells in row order.
struct RowAssembler<'v> {
    visit: &'v mut dyn FnMut(SheetEvent) -> bool,
    current: Option<(u32, Vec<String>)>,
    header_seen: bool,
    stopped: bool,
}

impl<'v> RowAssembler<'v> {
    fn new(visit: &'v mut dyn FnMut(SheetEvent) -> bool) -> Self {
        Self {
            visit,
            current: None,
            header_seen: false,
            stopped: false,
        }
    }

    fn cell(&mut self, row: u32, column: u32, text: String) {
        if self.stopped || text.is_empty() {
            return;
        }
        if self.current.as_ref().is_some_and(|(r, _)| *r != row) {
            self.flush();
        }
        let (_, cells) = self.current.get_or_insert_with(|| (row, Vec::new()));
        let column = column as usize;
        // Cells beyond a sane width are not a user row; do not allocate for them.
        if column < 1024 {
            if cells.len() <= column {
                cells.resize(column + 1, String::new());
            }
            cells[column] = text;
        }
    }

    fn flush(&mut self) {
        let Some((row, cells)) = self.current.take() else {
            return;
        };
        let row = Row {
            number: u64::from(row) + 1,
            cells,
        };
        if row.is_blank() || self.stopped {
            return;
        }
        let event = if self.header_seen {
            SheetEvent::Row(row)
        } else {
            self.header_seen = true;
            SheetEvent::Header(row.cells)
        };
        if !(self.visit)(event) {
            self.stopped = true;
        }
    }

    fn finish(mut self) -> Result<(), ReadError> {
        self.flush();
        if self.header_seen {
            Ok(())
        } else {
            Err(read_error("the first sheet is empty"))
        }
    }
}

/// Reads the first sheet of an XLSX, XLS or ODS file held in memory.
pub fn read_workbook(
    bytes: Vec<u8>,
    format: FileFormat,
    visit: &mut dyn FnMut(SheetEvent) -> bool,
) -> Result<(), ReadError> {
    if bytes.is_empty() {
        return Err(read_error("the file is empty"));
    }
    if matches!(format, FileFormat::Xlsx | FileFormat::Ods) {
        refuse_hostile_zip(&bytes, format)?;
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        // calamine expands every sheet of an XLS densely when it opens it.
        use crate::import::xls_guard::{XlsRefusal, check_xls};
        match check_xls(&bytes) {
            Ok(()) => {}
            Err(XlsRefusal::Unreadable) => return Err(not_a_workbook()),
            Err(XlsRefusal::TooWide { rows, columns }) => {
                return Err(read_error(format!(
                    "a sheet's cells span {rows} rows and {columns} columns, more than an import reads: delete the cells outside the table (far below or to the right of it) and upload it again"
                )));
            }
            Err(XlsRefusal::SheetsTooLarge { cells }) => {
                return Err(read_error(format!(
                    "the workbook's sheets span {cells} cells together, more than an import reads: keep the users' sheet alone in the file, or save it as CSV"
                )));
            }
        }
    }
    // calamine parses an XLS's records, formulas included, as it opens it, and some damaged
    // records make it index past them and panic (found by the read_workbook fuzz target): a
    // panic there means a damaged file, not a dead worker (release builds unwind for this).
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
    }));
    let mut workbook = match opened {
        Ok(Ok(workbook)) => workbook,
        Ok(Err(_)) => return Err(not_a_workbook()),
        Err(_) => {
            tracing::warn!("calamine panicked opening a workbook; refused as damaged");
            return Err(not_a_workbook());
        }
    };
    let first = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| read_error("the workbook has no sheet"))?;
    let mut rows = RowAssembler::new(visit);
    match &mut workbook {
        Sheets::Xlsx(xlsx) => {
            // Streams the sheet's XML: memory follows the cells present, not the declared size.
            let mut cells = xlsx
                .worksheet_cells_reader(&first)
                .map_err(|_| not_a_workbook())?;
            while let Some(cell) = cells.next_cell().map_err(|_| not_a_workbook())? {
                let (r, c) = cell.get_position();
                rows.cell(r, c, data_ref_text(cell.get_value()));
                if rows.stopped {
                    break;
                }
            }
        }
        other => {
            let range = other
                .worksheet_range(&first)
                .map_err(|_| not_a_workbook())?;
            for (r, c, value) in range.used_cells() {
                let (start_row, start_col) = range.start().unwrap_or((0, 0));
                rows.cell(start_row + r as u32, start_col + c as u32, data_text(value));
                if rows.stopped {
                    break;
                }
            }
        }
    }
    rows.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect_csv(bytes: &[u8]) -> Result<(CsvDialect, Vec<SheetEvent>), ReadError> {
        let mut events = Vec::new();
        let dialect = read_csv(bytes, &mut |e| {
            events.push(e);
            true
        })?;
        Ok((dialect, events))
    }

    fn rows(events: &[SheetEvent]) -> Vec<(u64, Vec<String>)> {
        events
            .iter()
            .filter_map(|e| match e {
                SheetEvent::Row(r) => Some((r.number, r.cells.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_workbook_calamine_panics_on_is_refused_as_damaged() {
        // Found by `scripts/fuzz` (read_workbook): a formula whose length runs past its record.
        let found = include_bytes!("../../../../fuzz/regressions/xls-formula-past-its-record.xls");
        // The guard lets it through: it is calamine that panics, and the panic that is caught.
        assert_eq!(crate::import::xls_guard::check_xls(found), Ok(()));
        let error = read_workbook(found.to_vec(), FileFormat::Xls, &mut |_| true).unwrap_err();
        assert!(
            error.0.contains("not a readable spreadsheet"),
            "{}",
            error.0
        );
    }

    #[test]
    fn a_line_of_many_delimiters_keeps_one_cell_past_the_limit() {
        let mut text = String::from("login,first_name\n");
        text.push_str(&",x".repeat(50_000));
        text.push('\n');
        let (_, events) = collect_csv(text.as_bytes()).unwrap();
        let SheetEvent::Row(row) = &events[1] else {
            panic!("a data row")
        };
        assert_eq!(row.cells.len(), MAX_ROW_CELLS + 1);
    }

    #[test]
    fn delimiters_are_detected() {
        for (text, delimiter) in [
            ("a,b,c\n1,2,3\n", b','),
            ("a;b;c\n1;2;3\n", b';'),
            ("a\tb\tc\n1\t2\t3\n", b'\t'),
            ("\"x;y\",b,c\n1,2,3\n", b','),
        ] {
            let (dialect, events) = collect_csv(text.as_bytes()).unwrap();
            assert_eq!(dialect.delimiter, delimiter, "{text:?}");
            assert_eq!(rows(&events)[0].1.len(), 3);
        }
    }

    #[test]
    fn encodings_are_detected() {
        let utf8_bom = b"\xef\xbb\xbfname\nZo\xc3\xab\n";
        let (d, e) = collect_csv(utf8_bom).unwrap();
        assert_eq!(d.encoding, UTF_8);
        assert!(matches!(&e[0], SheetEvent::Header(h) if h[0] == "name"));
        assert_eq!(rows(&e)[0].1[0], "Zoë");

        let mut utf16 = vec![0xff, 0xfe];
        for unit in "name\nZoë\n".encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        let (d, e) = collect_csv(&utf16).unwrap();
        assert_eq!(d.encoding.name(), "UTF-16LE");
        assert_eq!(rows(&e)[0].1[0], "Zoë");

        let cp1252 = b"name\nZo\xeb M\xfcller\n";
        let (d, e) = collect_csv(cp1252).unwrap();
        assert_eq!(d.encoding, WINDOWS_1252);
        assert_eq!(rows(&e)[0].1[0], "Zoë Müller");

        assert!(
            collect_csv(b"PK\x03\x04\x00\x00garbage\x00").is_err(),
            "binary is refused"
        );
    }

    #[test]
    fn quoted_newlines_blank_rows_and_ragged_rows() {
        let text = "\n\nlogin,note\na,\"line one\nline two\"\n\nb\nc,x,extra\n\n";
        let (_, events) = collect_csv(text.as_bytes()).unwrap();
        let r = rows(&events);
        assert_eq!(r.len(), 3);
        assert_eq!(r[0], (4, vec!["a".into(), "line one\nline two".into()]));
        // Row numbers are those a spreadsheet shows for the file: the quoted newline stays
        // inside row 4, the blank line is row 5.
        assert_eq!(r[1], (6, vec!["b".into()]));
        assert_eq!(r[2].1.len(), 3);
    }

    /// Every row and where the full read found it to start.
    fn located_rows(bytes: &[u8]) -> (CsvRead, Vec<(u64, Row)>) {
        let mut rows = Vec::new();
        let read = read_csv_at(bytes, CsvStart::Top, &mut |event, byte| {
            if let SheetEvent::Row(row) = event {
                rows.push((byte, row));
            }
            true
        })
        .unwrap();
        (read, rows)
    }

    #[test]
    fn a_read_from_any_record_s_byte_sees_the_rows_the_whole_read_sees() {
        let texts: [&[u8]; 4] = [
            b"login,note\na,one\n\nb,\"two\nlines\"\nc,three\n",
            b"login;note\r\na;one\r\n\r\nb;\"two\r\nlines\"\r\nc;three\r\nd;\r\n",
            "\u{feff}login,name\nzoë,Zoë\nämil,Ämil\n,\n\nx,\"q\"\"uote\"".as_bytes(),
            b"\n\nlogin\ta\n\"l\n\n\"\tb\nm\tc",
        ];
        for text in texts {
            let (read, _) = located_rows(text);
            assert!(read.offsets_are_file_bytes(text.len() as u64), "{text:?}");
            assert_reads_the_same_from_each_row(text);
        }
    }

    #[test]
    fn offsets_are_not_file_bytes_where_decoding_changed_the_text() {
        let latin = b"login,name\nzoe,Zo\xeb\n";
        let (read, _) = located_rows(latin);
        assert_eq!(read.dialect.encoding, WINDOWS_1252);
        assert!(!read.offsets_are_file_bytes(latin.len() as u64));
        // UTF-8 by its start, with a byte past the sniffed block that is not.
        let mut broken = b"login,name\n".to_vec();
        for i in 0..20_000 {
            broken.extend_from_slice(format!("user{i},Name\n").as_bytes());
        }
        broken.extend_from_slice(b"zoe,Zo\xeb\n");
        let (read, rows) = located_rows(&broken);
        assert_eq!(read.dialect.encoding, UTF_8);
        assert_eq!(rows.last().unwrap().1.cells[1], "Zo\u{fffd}");
        assert!(!read.offsets_are_file_bytes(broken.len() as u64));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("login\nzoë\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let (read, _) = located_rows(&utf16);
        assert!(!read.offsets_are_file_bytes(utf16.len() as u64));
    }

    /// Reads `text` again from the byte of each of its rows: the same rows from there on.
    fn assert_reads_the_same_from_each_row(text: &[u8]) {
        let mut rows = Vec::new();
        let Ok(read) = read_csv_at(text, CsvStart::Top, &mut |event, byte| {
            if let SheetEvent::Row(row) = event {
                rows.push((byte, row));
            }
            true
        }) else {
            return;
        };
        if !read.offsets_are_file_bytes(text.len() as u64) {
            return;
        }
        let bom = usize::from(read.dialect.bom_bytes);
        for (i, (byte, row)) in rows.iter().enumerate() {
            let start = CsvStart::Record {
                dialect: read.dialect,
                row: row.number,
            };
            let mut again = Vec::new();
            let from = &text[bom + *byte as usize..];
            read_csv_at(from, start, &mut |event, _| {
                match event {
                    SheetEvent::Row(row) => again.push(row),
                    SheetEvent::Header(_) => panic!("no header mid-file"),
                }
                true
            })
            .unwrap();
            let whole: Vec<&Row> = rows[i..].iter().map(|(_, r)| r).collect();
            assert_eq!(
                again.iter().collect::<Vec<_>>(),
                whole,
                "{text:?} from row {i}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_reads_the_same_from_each_row_s_byte(text in "[a,;\"\r\n ]{0,120}") {
            assert_reads_the_same_from_each_row(text.as_bytes());
        }
    }

    #[test]
    fn line_breaks_across_the_reader_s_buffers_keep_rows_and_numbers() {
        let mut text = String::from("login,note\r\n");
        for i in 0..30_000 {
            if i % 7 == 0 {
                text.push_str(&format!("u{i},\"a\r\nb\"\r\n"));
            } else {
                text.push_str(&format!("u{i},x\r\n"));
            }
        }
        let (_, rows) = located_rows(text.as_bytes());
        assert_eq!(rows.len(), 30_000);
        for (i, (byte, row)) in rows.iter().enumerate() {
            assert_eq!(row.number, i as u64 + 2);
            assert!(text.as_bytes()[*byte as usize..].starts_with(format!("u{i},").as_bytes()));
        }
    }

    #[test]
    fn rows_are_numbered_as_a_spreadsheet_shows_them_whatever_ends_the_lines() {
        // Row 1 the header, row 3 after a blank row, row 4 a cell over two lines, row 6
        // after two blank rows.
        for end in ["\n", "\r\n", "\r"] {
            let text = [
                "login,note",
                "",
                "a,x",
                "b,\"two\nlines\"",
                "",
                "",
                "c,y",
                "",
            ]
            .join(end)
            .replace("two\nlines", &format!("two{end}lines"));
            let (read, located) = located_rows(text.as_bytes());
            let numbers: Vec<u64> = located.iter().map(|(_, r)| r.number).collect();
            assert_eq!(numbers, [3, 4, 7], "{end:?}");
            for (byte, row) in &located {
                let at = &text.as_bytes()[*byte as usize..];
                assert!(at.starts_with(row.cells[0].as_bytes()), "{end:?} {row:?}");
            }
            assert!(read.offsets_are_file_bytes(text.len() as u64));
        }
    }

    #[test]
    fn empty_files_are_refused() {
        assert!(collect_csv(b"").is_err());
        assert!(collect_csv(b"\n\n  \n").is_err());
    }

    #[test]
    fn numbers_keep_their_digits() {
        assert_eq!(number_text(2015550123.0), "2015550123");
        assert_eq!(number_text(490154203237518.0), "490154203237518");
        assert_eq!(number_text(3.0), "3");
        assert_eq!(number_text(2.5), "2.5");
    }

    #[test]
    fn garbage_named_xlsx_is_a_clear_error() {
        let err = read_workbook(b"this is not a zip".to_vec(), FileFormat::Xlsx, &mut |_| {
            true
        })
        .unwrap_err();
        assert!(err.0.contains("not a readable spreadsheet"), "{err}");
        assert!(read_workbook(vec![], FileFormat::Xlsx, &mut |_| true).is_err());
    }
}
