//! The error report: the rows that failed, in the format they came in (CSV in → CSV out with
//! the same delimiter and encoding; XLSX, XLS and ODS in → the same kind out), with a `Row`
//! column (the row number a person sees) first, the original columns, and an `Errors` column
//! saying what is wrong. Passwords are masked and cells a spreadsheet would run as formulas
//! are neutralised. Also the downloadable template, whose header the importer accepts
//! unchanged.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use rust_xlsxwriter::{Format, Workbook, Worksheet};

use super::columns::{Column, HeaderMap, template_columns};
use super::legacy_formats::{XLS_MAX_ROWS, write_ods, write_xls};
use crate::use_cases::export::neutralise;
use crate::validation::FieldError;

/// What a password cell shows in reports and kept rows.
pub const MASK: &str = "********";

/// A row that failed, with every reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FailedRow {
    pub number: u64,
    pub cells: Vec<String>,
    pub errors: Vec<FieldError>,
}

impl FailedRow {
    pub fn new(row: super::sheet::Row, errors: Vec<FieldError>) -> Self {
        Self {
            number: row.number,
            cells: row.cells,
            errors,
        }
    }

    pub fn errors_text(&self) -> String {
        self.errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The text encodings a CSV arrives in (and its report goes back in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextEncoding {
    #[default]
    Utf8,
    Utf16Le,
    Utf16Be,
    Windows1252,
}

impl TextEncoding {
    /// The encoding the CSV reader detected.
    pub fn of(encoding: &'static Encoding) -> Self {
        if encoding == UTF_16LE {
            Self::Utf16Le
        } else if encoding == UTF_16BE {
            Self::Utf16Be
        } else if encoding == WINDOWS_1252 {
            Self::Windows1252
        } else {
            Self::Utf8
        }
    }

    /// The name kept on the job (and in the report's content type).
    pub fn name(self) -> &'static str {
        match self {
            Self::Utf8 => UTF_8.name(),
            Self::Utf16Le => UTF_16LE.name(),
            Self::Utf16Be => UTF_16BE.name(),
            Self::Windows1252 => WINDOWS_1252.name(),
        }
    }

    pub fn from_name(name: &str) -> Self {
        Encoding::for_label(name.as_bytes()).map_or(Self::Utf8, Self::of)
    }

    /// `text` in this encoding; Unicode ones start with a BOM so that spreadsheet programs
    /// read the accents right.
    fn encode(self, text: &str) -> Vec<u8> {
        self.encode_piece(text, true)
    }

    /// A piece of a text in this encoding: the first piece carries the BOM.
    fn encode_piece(self, text: &str, first: bool) -> Vec<u8> {
        let bom = if first { "\u{feff}" } else { "" };
        let units = |big: bool| -> Vec<u8> {
            bom.encode_utf16()
                .chain(text.encode_utf16())
                .flat_map(|u| {
                    if big {
                        u.to_be_bytes()
                    } else {
                        u.to_le_bytes()
                    }
                })
                .collect()
        };
        match self {
            Self::Utf8 => [bom.as_bytes(), text.as_bytes()].concat(),
            Self::Utf16Le => units(false),
            Self::Utf16Be => units(true),
            Self::Windows1252 => WINDOWS_1252.encode(text).0.into_owned(),
        }
    }
}

/// What the report file is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Csv {
        delimiter: u8,
        encoding: TextEncoding,
    },
    Xlsx,
    Xls,
    Ods,
}

impl ReportFormat {
    /// Comma-separated UTF-8: the template's CSV.
    pub const CSV: ReportFormat = ReportFormat::Csv {
        delimiter: b',',
        encoding: TextEncoding::Utf8,
    };

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv { .. } => "csv",
            Self::Xlsx => "xlsx",
            Self::Xls => "xls",
            Self::Ods => "ods",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv { encoding, .. } => match encoding {
                TextEncoding::Utf8 => "text/csv; charset=utf-8",
                TextEncoding::Utf16Le | TextEncoding::Utf16Be => "text/csv; charset=utf-16",
                TextEncoding::Windows1252 => "text/csv; charset=windows-1252",
            },
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Xls => "application/vnd.ms-excel",
            Self::Ods => "application/vnd.oasis.opendocument.spreadsheet",
        }
    }
}

/// The cells of one report line, safe to open: masked and neutralised.
fn safe_line(map: &HeaderMap, row: &FailedRow) -> Vec<String> {
    let password = map.position(Column::Password);
    let width = map.headers.len().max(row.cells.len());
    let mut line = Vec::with_capacity(width + 2);
    line.push(row.number.to_string());
    for i in 0..width {
        let cell = row.cells.get(i).map(String::as_str).unwrap_or("");
        let cell = if Some(i) == password && !cell.is_empty() {
            MASK
        } else {
            cell
        };
        line.push(neutralise(cell).into_owned());
    }
    line.push(neutralise(&row.errors_text()).into_owned());
    line
}

fn header_line(map: &HeaderMap) -> Vec<String> {
    let mut header = vec!["Row".to_owned()];
    header.extend(map.headers.iter().map(|h| neutralise(h).into_owned()));
    header.push("Errors".to_owned());
    header
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> String {
    format!("the report could not be written: {e}")
}

/// One line as text cells of row `r` (the header, row 0, in bold); empty cells stay empty.
fn write_xlsx_line(
    sheet: &mut Worksheet,
    r: u32,
    line: &[String],
    bold: &Format,
) -> Result<(), String> {
    for (c, text) in line.iter().enumerate() {
        if text.is_empty() {
            continue;
        }
        if r == 0 {
            sheet.write_string_with_format(0, c as u16, text, bold)
        } else {
            sheet.write_string(r, c as u16, text)
        }
        .map_err(xlsx_error)?;
    }
    Ok(())
}

/// Writes `lines` (the first is the header, bold where the format has bold) as `format`, one
/// sheet called `sheet_name`. Every cell is written as text: a spreadsheet never evaluates it.
fn write_lines(
    format: ReportFormat,
    sheet_name: &str,
    lines: &[Vec<String>],
) -> Result<Vec<u8>, String> {
    match format {
        ReportFormat::Csv {
            delimiter,
            encoding,
        } => {
            let mut out = Vec::new();
            {
                let mut writer = csv::WriterBuilder::new()
                    .delimiter(delimiter)
                    .flexible(true)
                    .from_writer(&mut out);
                for line in lines {
                    writer.write_record(line).map_err(|e| e.to_string())?;
                }
                writer.flush().map_err(|e| e.to_string())?;
            }
            let text = String::from_utf8(out).map_err(|e| e.to_string())?;
            Ok(encoding.encode(&text))
        }
        ReportFormat::Xlsx => {
            let mut sheet = Worksheet::new();
            sheet.set_name(sheet_name).map_err(xlsx_error)?;
            let bold = Format::new().set_bold();
            for (r, line) in lines.iter().enumerate() {
                write_xlsx_line(&mut sheet, r as u32, line, &bold)?;
            }
            let mut workbook = Workbook::new();
            workbook.push_worksheet(sheet);
            workbook.save_to_buffer().map_err(xlsx_error)
        }
        ReportFormat::Xls => write_xls(sheet_name, lines),
        ReportFormat::Ods => write_ods(sheet_name, lines),
    }
}

/// The most lines a report in a format written whole (.xls, .ods) holds before it becomes an
/// .xlsx, which is written in constant memory.
pub const WHOLE_REPORT_MAX_LINES: usize = XLS_MAX_ROWS;

/// An error report written row by row in bounded memory, however many rows failed: a CSV
/// hands out its bytes as they fill a part, an XLSX goes through rust_xlsxwriter's
/// constant-memory sheet, and .xls and .ods (written whole) keep at most
/// [`WHOLE_REPORT_MAX_LINES`] lines and become an .xlsx beyond (with a warning).
pub struct ReportWriter<'m> {
    map: &'m HeaderMap,
    format: ReportFormat,
    sink: Sink,
    warning: Option<String>,
}

enum Sink {
    Csv {
        writer: csv::Writer<Vec<u8>>,
        encoding: TextEncoding,
        /// Whether a piece (with the BOM) went out already.
        handed_out: bool,
    },
    Xlsx {
        workbook: Box<Workbook>,
        bold: Format,
        next_row: u32,
    },
    Whole(Vec<Vec<String>>),
}

/// A finished report: its bytes, or the workbook to save as it is uploaded.
pub enum ReportBody {
    Bytes(Vec<u8>),
    Workbook(Box<Workbook>),
}

pub struct FinishedReport {
    pub format: ReportFormat,
    /// Why the report is not in the uploaded file's format.
    pub warning: Option<String>,
    pub body: ReportBody,
}

impl<'m> ReportWriter<'m> {
    pub fn new(format: ReportFormat, map: &'m HeaderMap) -> Result<Self, String> {
        let sink = match format {
            ReportFormat::Csv {
                delimiter,
                encoding,
            } => Sink::Csv {
                writer: csv_writer(delimiter, Vec::new()),
                encoding,
                handed_out: false,
            },
            ReportFormat::Xlsx => Self::xlsx_sink()?,
            ReportFormat::Xls | ReportFormat::Ods => Sink::Whole(Vec::new()),
        };
        let mut report = Self {
            map,
            format,
            sink,
            warning: None,
        };
        report.push(header_line(map))?;
        Ok(report)
    }

    fn xlsx_sink() -> Result<Sink, String> {
        let mut workbook = Box::new(Workbook::new());
        workbook
            .add_worksheet_with_constant_memory()
            .and_then(|sheet| sheet.set_name("Errors").map(|_| ()))
            .map_err(xlsx_error)?;
        Ok(Sink::Xlsx {
            workbook,
            bold: Format::new().set_bold(),
            next_row: 0,
        })
    }

    pub fn write(&mut self, row: &FailedRow) -> Result<(), String> {
        self.push(safe_line(self.map, row))
    }

    fn push(&mut self, line: Vec<String>) -> Result<(), String> {
        match &mut self.sink {
            Sink::Csv { writer, .. } => writer.write_record(&line).map_err(|e| e.to_string()),
            Sink::Xlsx {
                workbook,
                bold,
                next_row,
            } => {
                let sheet = workbook.worksheet_from_index(0).map_err(xlsx_error)?;
                write_xlsx_line(sheet, *next_row, &line, bold)?;
                *next_row += 1;
                Ok(())
            }
            Sink::Whole(lines) if lines.len() < WHOLE_REPORT_MAX_LINES => {
                lines.push(line);
                Ok(())
            }
            Sink::Whole(_) => {
                self.become_xlsx(&format!(
                    "an .{} report holds at most {WHOLE_REPORT_MAX_LINES} rows",
                    self.format.extension()
                ))?;
                self.push(line)
            }
        }
    }

    /// Goes on as an .xlsx, with the lines so far; `why` is said in the warning.
    fn become_xlsx(&mut self, why: &str) -> Result<(), String> {
        let Sink::Whole(lines) = std::mem::replace(&mut self.sink, Self::xlsx_sink()?) else {
            return Ok(());
        };
        self.warning = Some(format!("the error report is an .xlsx file: {why}"));
        self.format = ReportFormat::Xlsx;
        lines.into_iter().try_for_each(|line| self.push(line))
    }

    /// The format the report is being written in (an .xls or .ods may have become .xlsx).
    pub fn format(&self) -> ReportFormat {
        self.format
    }

    /// The CSV written so far once it is at least `min_bytes`, for an upload part; `None`
    /// until then, and for the formats that are produced at the end.
    pub fn take_ready(&mut self, min_bytes: usize) -> Result<Option<Vec<u8>>, String> {
        let Sink::Csv {
            writer,
            encoding,
            handed_out,
        } = &mut self.sink
        else {
            return Ok(None);
        };
        // The writer's own buffer (8 KiB) is counted too.
        writer.flush().map_err(|e| e.to_string())?;
        if writer.get_ref().len() < min_bytes.max(1) {
            return Ok(None);
        }
        let delimiter = match self.format {
            ReportFormat::Csv { delimiter, .. } => delimiter,
            _ => b',',
        };
        let full = std::mem::replace(writer, csv_writer(delimiter, Vec::new()));
        let bytes = full.into_inner().map_err(|e| e.to_string())?;
        let text = String::from_utf8(bytes).map_err(|e| e.to_string())?;
        let piece = encoding.encode_piece(&text, !*handed_out);
        *handed_out = true;
        Ok(Some(piece))
    }

    pub fn finish(mut self) -> Result<FinishedReport, String> {
        if matches!(self.sink, Sink::Csv { .. }) {
            let rest = self.take_ready(0)?.unwrap_or_default();
            return Ok(self.finished(ReportBody::Bytes(rest)));
        }
        let whole = match &self.sink {
            Sink::Whole(lines) if self.format == ReportFormat::Xls => write_xls("Errors", lines),
            Sink::Whole(lines) => write_ods("Errors", lines),
            Sink::Csv { .. } | Sink::Xlsx { .. } => Ok(Vec::new()),
        };
        match (
            std::mem::replace(&mut self.sink, Sink::Whole(Vec::new())),
            whole,
        ) {
            (Sink::Xlsx { workbook, .. }, _) => Ok(self.finished(ReportBody::Workbook(workbook))),
            (Sink::Whole(_), Ok(bytes)) => Ok(self.finished(ReportBody::Bytes(bytes))),
            // An .xls too wide or too large for its sheet: the same lines as .xlsx.
            (Sink::Whole(lines), Err(why)) if self.format == ReportFormat::Xls => {
                self.sink = Sink::Whole(lines);
                self.become_xlsx(&why)?;
                self.finish()
            }
            (_, Err(why)) => Err(why),
            (Sink::Csv { .. }, Ok(_)) => Err("a CSV report finishes above".into()),
        }
    }

    fn finished(self, body: ReportBody) -> FinishedReport {
        FinishedReport {
            format: self.format,
            warning: self.warning,
            body,
        }
    }
}

fn csv_writer(delimiter: u8, out: Vec<u8>) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_writer(out)
}

/// The report for `rows`, whole, in memory (for small reports and tests): its format (an
/// .xls or .ods may have become .xlsx) and bytes.
pub fn write_report<'a>(
    format: ReportFormat,
    map: &HeaderMap,
    rows: impl IntoIterator<Item = &'a FailedRow>,
) -> Result<Vec<u8>, String> {
    let mut report = ReportWriter::new(format, map)?;
    for row in rows {
        report.write(row)?;
    }
    match report.finish()?.body {
        ReportBody::Bytes(bytes) => Ok(bytes),
        ReportBody::Workbook(mut workbook) => workbook.save_to_buffer().map_err(xlsx_error),
    }
}

/// Control characters (a cell's line breaks) become spaces: one row stays one line.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// One line of the plain-text report (seed 003's download): the row number, its login as the
/// file has it, and every error in words. No other cell is repeated, so no password can appear.
pub fn text_report_line(map: &HeaderMap, row: &FailedRow) -> String {
    let cell = map
        .position(Column::Login)
        .and_then(|i| row.cells.get(i))
        .map(|c| c.trim())
        .filter(|c| !c.is_empty());
    let who = match cell {
        Some(c) => format!("login \"{}\"", one_line(c)),
        None => "no login".to_owned(),
    };
    format!(
        "Row {} ({who}): {}\n",
        row.number,
        one_line(&row.errors_text())
    )
}

/// The plain-text report for `rows`, whole.
pub fn write_text_report<'a>(
    map: &HeaderMap,
    rows: impl IntoIterator<Item = &'a FailedRow>,
) -> String {
    rows.into_iter()
        .map(|row| text_report_line(map, row))
        .collect()
}

/// The example row of the template: a person as seed 000 describes one.
fn example(column: Column) -> &'static str {
    match column {
        Column::Login => "John.Smith",
        Column::FirstName => "John",
        Column::LastName => "Smith",
        Column::Email => "john.smith@example.com",
        Column::MobilePhone => "+1 201 555 0123",
        Column::Roles => "agent",
        Column::SendText => "no",
        _ => "",
    }
}

/// The import template in `format`: a header row in the words admins read ("First Name",
/// "Mobile Phone", "Department"…) and one example row.
pub fn template(format: ReportFormat) -> Result<Vec<u8>, String> {
    let columns = template_columns();
    let lines = vec![
        columns.iter().map(|c| c.label().to_owned()).collect(),
        columns.iter().map(|c| example(*c).to_owned()).collect(),
    ];
    write_lines(format, "Users", &lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::sheet::{FileFormat, SheetEvent, read_csv, read_workbook};

    fn map() -> HeaderMap {
        let headers: Vec<String> = [
            "Login",
            "First Name",
            "Last Name",
            "Department",
            "Email",
            "Password",
            "Notes",
        ]
        .map(String::from)
        .to_vec();
        HeaderMap::new(&headers).unwrap()
    }

    fn failed() -> FailedRow {
        FailedRow {
            number: 7,
            cells: [
                "a b",
                "=HYPERLINK(\"x\")",
                "Lee",
                "sales",
                "bad",
                "S3cret!pass",
                "@note",
            ]
            .map(String::from)
            .to_vec(),
            errors: vec![
                FieldError::new(
                    "login",
                    "may only contain letters, digits and '.' (found a space)",
                ),
                FieldError::new("email", "'bad' is not a valid e-mail address"),
            ],
        }
    }

    fn read_back(events: &mut Vec<Vec<String>>) -> impl FnMut(SheetEvent) -> bool + '_ {
        |e| {
            events.push(match e {
                SheetEvent::Header(h) => h,
                SheetEvent::Row(r) => r.cells,
            });
            true
        }
    }

    fn check(lines: &[Vec<String>]) {
        assert_eq!(lines[0].first().unwrap(), "Row");
        assert_eq!(lines[0].last().unwrap(), "Errors");
        let row = &lines[1];
        assert_eq!(row[0], "7");
        assert_eq!(row[2], "'=HYPERLINK(\"x\")", "formula neutralised");
        assert_eq!(row[6], MASK, "password masked");
        assert_eq!(row[7], "'@note");
        assert!(row[8].contains("login: may only") && row[8].contains("email: 'bad'"));
        assert!(!lines.concat().iter().any(|c| c.contains("S3cret")));
    }

    #[test]
    fn csv_reports_keep_the_delimiter_mask_and_neutralise() {
        let format = ReportFormat::Csv {
            delimiter: b';',
            encoding: TextEncoding::Utf8,
        };
        let bytes = write_report(format, &map(), [&failed()]).unwrap();
        let mut lines = Vec::new();
        let dialect = read_csv(bytes.as_slice(), &mut read_back(&mut lines)).unwrap();
        assert_eq!(dialect.delimiter, b';');
        check(&lines);
    }

    #[test]
    fn text_reports_have_one_line_per_row_with_login_and_every_error() {
        let mut second = failed();
        second.number = 9;
        second.cells[0] = String::new();
        second.errors = vec![FieldError::new("login", "is\nrequired")];
        let text = write_text_report(&map(), [&failed(), &second]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].starts_with("Row 7 (login \"a b\"): login: may only"),
            "{text}"
        );
        assert!(lines[0].contains("email: 'bad' is not a valid e-mail address"));
        assert_eq!(lines[1], "Row 9 (no login): login: is required");
        assert!(!text.contains("S3cret"));
    }

    #[test]
    fn xlsx_reports_read_back() {
        let bytes = write_report(ReportFormat::Xlsx, &map(), [&failed()]).unwrap();
        let mut lines = Vec::new();
        read_workbook(bytes, FileFormat::Xlsx, &mut read_back(&mut lines)).unwrap();
        check(&lines);
    }

    #[test]
    fn reports_keep_the_uploaded_encoding_and_kind() {
        let row = FailedRow {
            cells: ["zoë", "Zoë", "Müller", "sales", "z@x.io", "", ""]
                .map(String::from)
                .to_vec(),
            ..failed()
        };
        for (encoding, start) in [
            (TextEncoding::Utf16Le, &b"\xff\xfe"[..]),
            (TextEncoding::Utf16Be, &b"\xfe\xff"[..]),
            (TextEncoding::Windows1252, &b"Row;"[..]),
            (TextEncoding::Utf8, &b"\xef\xbb\xbfRow"[..]),
        ] {
            let format = ReportFormat::Csv {
                delimiter: b';',
                encoding,
            };
            let bytes = write_report(format, &map(), [&row]).unwrap();
            assert!(bytes.starts_with(start), "{encoding:?}");
            let mut lines = Vec::new();
            let dialect = read_csv(bytes.as_slice(), &mut read_back(&mut lines)).unwrap();
            assert_eq!(TextEncoding::of(dialect.encoding), encoding);
            assert_eq!(lines[1][2], "Zoë", "{encoding:?}");
        }
        let latin = write_report(
            ReportFormat::Csv {
                delimiter: b',',
                encoding: TextEncoding::Windows1252,
            },
            &map(),
            [&row],
        )
        .unwrap();
        assert!(
            latin.windows(3).any(|w| w == b"Zo\xeb"),
            "ë is one byte in Windows-1252"
        );
        for (format, file) in [
            (ReportFormat::Xls, FileFormat::Xls),
            (ReportFormat::Ods, FileFormat::Ods),
        ] {
            let bytes = write_report(format, &map(), [&failed()]).unwrap();
            let mut lines = Vec::new();
            read_workbook(bytes, file, &mut read_back(&mut lines)).unwrap();
            check(&lines);
        }
    }

    fn numbered(n: u64) -> FailedRow {
        let mut row = failed();
        row.number = n;
        row.cells[0] = format!("zoë.{n}");
        row
    }

    #[test]
    fn a_csv_report_handed_out_in_pieces_is_the_whole_report() {
        let format = ReportFormat::Csv {
            delimiter: b';',
            encoding: TextEncoding::Utf16Le,
        };
        let rows: Vec<FailedRow> = (1..=2_000).map(numbered).collect();
        let whole = write_report(format, &map(), &rows).unwrap();
        let map = map();
        let mut report = ReportWriter::new(format, &map).unwrap();
        let mut pieces = Vec::new();
        for row in &rows {
            report.write(row).unwrap();
            pieces.extend(report.take_ready(16 * 1024).unwrap());
        }
        let finished = report.finish().unwrap();
        let ReportBody::Bytes(rest) = finished.body else {
            panic!("a CSV ends in bytes")
        };
        assert!(pieces.len() > 5, "{} pieces", pieces.len());
        assert!(pieces.iter().all(|p| p.len() >= 16 * 1024));
        pieces.push(rest);
        assert_eq!(pieces.concat(), whole, "one BOM, every row once, in order");
        assert_eq!(finished.warning, None);
    }

    #[test]
    fn an_xls_report_too_long_for_its_sheet_becomes_a_streamed_xlsx() {
        let map = map();
        let mut report = ReportWriter::new(ReportFormat::Xls, &map).unwrap();
        let rows = WHOLE_REPORT_MAX_LINES as u64 + 10;
        for n in 1..=rows {
            report.write(&numbered(n)).unwrap();
            assert_eq!(report.take_ready(0).unwrap(), None, "written at the end");
        }
        let finished = report.finish().unwrap();
        assert_eq!(finished.format, ReportFormat::Xlsx);
        assert!(
            finished
                .warning
                .as_deref()
                .unwrap()
                .contains("at most 65536 rows"),
            "{:?}",
            finished.warning
        );
        let ReportBody::Workbook(mut workbook) = finished.body else {
            panic!("an .xlsx ends as a workbook")
        };
        let bytes = workbook.save_to_buffer().unwrap();
        let mut lines = Vec::new();
        read_workbook(bytes, FileFormat::Xlsx, &mut read_back(&mut lines)).unwrap();
        assert_eq!(lines.len() as u64, rows + 1);
        assert_eq!(lines[0].last().unwrap(), "Errors");
        for (n, line) in lines[1..].iter().enumerate() {
            assert_eq!(line[0], (n + 1).to_string());
            assert_eq!(line[1], format!("zoë.{}", n + 1));
            assert_eq!(line[6], MASK, "password masked");
        }
    }

    #[test]
    fn templates_are_accepted_by_the_importer_unchanged() {
        for (format, file) in [
            (ReportFormat::CSV, FileFormat::Csv),
            (ReportFormat::Xlsx, FileFormat::Xlsx),
            (ReportFormat::Xls, FileFormat::Xls),
            (ReportFormat::Ods, FileFormat::Ods),
        ] {
            let bytes = template(format).unwrap();
            let mut lines = Vec::new();
            match file {
                FileFormat::Csv => {
                    read_csv(bytes.as_slice(), &mut read_back(&mut lines)).unwrap();
                }
                _ => read_workbook(bytes, file, &mut read_back(&mut lines)).unwrap(),
            }
            assert_eq!(
                &lines[0][..6],
                [
                    "Login",
                    "First Name",
                    "Last Name",
                    "Email",
                    "Mobile Phone",
                    "Business Phone"
                ],
                "the headers an admin reads"
            );
            assert!(lines[0].contains(&"Department".to_owned()));
            let map = HeaderMap::new(&lines[0]).unwrap();
            assert!(map.ignored().is_empty());
            let draft = crate::import::rows::draft_from_row(&map, &lines[1]).unwrap();
            let departments =
                std::collections::BTreeSet::from([
                    crate::ids::DepartmentId::parse("sales").unwrap()
                ]);
            crate::validation::validate_user(
                &draft,
                &crate::tenant::TenantSettings::default(),
                &departments,
            )
            .expect("the example row is valid");
        }
    }
}
