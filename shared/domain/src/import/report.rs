//! The error report: the rows that failed, in the format they came in (CSV in → CSV out with
//! the same delimiter; spreadsheets in → XLSX out), with a `Row` column (the row number a
//! person sees) first, the original columns, and an `Errors` column saying what is wrong.
//! Passwords are masked and cells a spreadsheet would run as formulas are neutralised.
//! Also the downloadable template, whose header the importer accepts unchanged.

use rust_xlsxwriter::{Format, Workbook, Worksheet};

use super::columns::{Column, HeaderMap, template_headers};
use crate::export::neutralise;
use crate::validation::FieldError;

const MASK: &str = "********";

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

/// What the report file is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Csv { delimiter: u8 },
    Xlsx,
}

impl ReportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv { .. } => "csv",
            Self::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv { .. } => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
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

/// Writes the report for `rows` (which may come from several invocations of a job).
pub fn write_report<'a>(
    format: ReportFormat,
    map: &HeaderMap,
    rows: impl IntoIterator<Item = &'a FailedRow>,
) -> Result<Vec<u8>, String> {
    match format {
        ReportFormat::Csv { delimiter } => {
            // A BOM so that spreadsheet programs read the accents right.
            let mut out = "\u{feff}".as_bytes().to_vec();
            {
                let mut writer = csv::WriterBuilder::new()
                    .delimiter(delimiter)
                    .flexible(true)
                    .from_writer(&mut out);
                writer
                    .write_record(header_line(map))
                    .map_err(|e| e.to_string())?;
                for row in rows {
                    writer
                        .write_record(safe_line(map, row))
                        .map_err(|e| e.to_string())?;
                }
                writer.flush().map_err(|e| e.to_string())?;
            }
            Ok(out)
        }
        ReportFormat::Xlsx => {
            let mut sheet = Worksheet::new();
            sheet.set_name("Errors").map_err(xlsx_error)?;
            let bold = Format::new().set_bold();
            for (c, text) in header_line(map).iter().enumerate() {
                sheet
                    .write_string_with_format(0, c as u16, text, &bold)
                    .map_err(xlsx_error)?;
            }
            for (r, row) in rows.into_iter().enumerate() {
                for (c, text) in safe_line(map, row).iter().enumerate() {
                    // Written as text: a spreadsheet never evaluates it.
                    sheet
                        .write_string(r as u32 + 1, c as u16, text)
                        .map_err(xlsx_error)?;
                }
            }
            let mut workbook = Workbook::new();
            workbook.push_worksheet(sheet);
            workbook.save_to_buffer().map_err(xlsx_error)
        }
    }
}

/// Control characters (a cell's line breaks) become spaces: one row stays one line.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The plain-text report (seed 003's download): one line per failed row with its row number,
/// its login as the file has it, and every error in words. No other cell is repeated, so no
/// password can appear.
pub fn write_text_report<'a>(
    map: &HeaderMap,
    rows: impl IntoIterator<Item = &'a FailedRow>,
) -> String {
    let login = map.position(Column::Login);
    let mut out = String::new();
    for row in rows {
        let cell = login
            .and_then(|i| row.cells.get(i))
            .map(|c| c.trim())
            .filter(|c| !c.is_empty());
        let who = match cell {
            Some(c) => format!("login \"{}\"", one_line(c)),
            None => "no login".to_owned(),
        };
        out.push_str(&format!(
            "Row {} ({who}): {}\n",
            row.number,
            one_line(&row.errors_text())
        ));
    }
    out
}

/// The import template in `format`: the header row and one example row.
pub fn template(format: ReportFormat) -> Result<Vec<u8>, String> {
    let headers = template_headers();
    let example: Vec<&str> = headers
        .iter()
        .map(|h| match *h {
            "login" => "John.Smith",
            "first_name" => "John",
            "last_name" => "Smith",
            "email" => "john.smith@example.com",
            "mobile_phone" => "+1 201 555 0123",
            "department_id" => "sales",
            "roles" => "agent",
            "send_text" => "no",
            _ => "",
        })
        .collect();
    match format {
        ReportFormat::Csv { delimiter } => {
            let mut out = Vec::new();
            {
                let mut writer = csv::WriterBuilder::new()
                    .delimiter(delimiter)
                    .from_writer(&mut out);
                writer.write_record(&headers).map_err(|e| e.to_string())?;
                writer.write_record(&example).map_err(|e| e.to_string())?;
                writer.flush().map_err(|e| e.to_string())?;
            }
            Ok(out)
        }
        ReportFormat::Xlsx => {
            let mut sheet = Worksheet::new();
            sheet.set_name("Users").map_err(xlsx_error)?;
            let bold = Format::new().set_bold();
            for (c, (header, value)) in headers.iter().zip(&example).enumerate() {
                sheet
                    .write_string_with_format(0, c as u16, *header, &bold)
                    .map_err(xlsx_error)?;
                if !value.is_empty() {
                    sheet
                        .write_string(1, c as u16, *value)
                        .map_err(xlsx_error)?;
                }
            }
            let mut workbook = Workbook::new();
            workbook.push_worksheet(sheet);
            workbook.save_to_buffer().map_err(xlsx_error)
        }
    }
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
        let bytes =
            write_report(ReportFormat::Csv { delimiter: b';' }, &map(), [&failed()]).unwrap();
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
    fn templates_are_accepted_by_the_importer_unchanged() {
        for (format, file) in [
            (ReportFormat::Csv { delimiter: b',' }, FileFormat::Csv),
            (ReportFormat::Xlsx, FileFormat::Xlsx),
        ] {
            let bytes = template(format).unwrap();
            let mut lines = Vec::new();
            match file {
                FileFormat::Csv => {
                    read_csv(bytes.as_slice(), &mut read_back(&mut lines)).unwrap();
                }
                _ => read_workbook(bytes, file, &mut read_back(&mut lines)).unwrap(),
            }
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
