//! Peak memory of an error report of N failed rows, written the way the worker writes it:
//! row by row through `ReportWriter`, each ready piece handed on (here counted and dropped
//! instead of uploaded), an XLSX saved as it is zipped. One format per process, so the peak
//! (`VmHWM`) is that format's alone.
//!
//! `cargo run --release -p roster-domain --example report_memory -- 1000000 csv`
//! (formats: csv, xlsx, text)

use std::io::Write;
use std::time::Instant;

use roster_domain::import::columns::HeaderMap;
use roster_domain::import::report::{
    FailedRow, ReportBody, ReportFormat, ReportWriter, text_report_line,
};
use roster_domain::upload::PART_BYTES;
use roster_domain::validation::FieldError;

/// Bytes written, nothing kept.
#[derive(Default)]
struct Counter(usize);

impl Write for Counter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn failed(n: u64) -> FailedRow {
    FailedRow {
        number: n + 2,
        cells: vec![
            format!("user{n:07}"),
            "Ann".into(),
            format!("Lee{n}"),
            format!("user{n}@example"),
            "+1 201 555 0123".into(),
            "sales".into(),
            "agent".into(),
            "no".into(),
        ],
        errors: vec![FieldError::new(
            "email",
            format!("'user{n}@example' is not a valid e-mail address"),
        )],
    }
}

fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: u64 = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let format = args.next().unwrap_or_else(|| "csv".into());
    let headers: Vec<String> = [
        "Login",
        "First Name",
        "Last Name",
        "Email",
        "Mobile Phone",
        "Department",
        "Roles",
        "Send Text",
    ]
    .map(String::from)
    .to_vec();
    let map = HeaderMap::new(&headers).unwrap();
    let start = Instant::now();
    let mut out = Counter::default();
    let baseline = peak_mb();
    match format.as_str() {
        "text" => {
            let mut piece = Vec::new();
            for n in 0..rows {
                piece.extend_from_slice(text_report_line(&map, &failed(n)).as_bytes());
                if piece.len() >= PART_BYTES {
                    out.write_all(&std::mem::take(&mut piece)).unwrap();
                }
            }
            out.write_all(&piece).unwrap();
        }
        name => {
            let format = match name {
                "csv" => ReportFormat::CSV,
                "xlsx" => ReportFormat::Xlsx,
                other => panic!("unknown format {other}"),
            };
            let mut report = ReportWriter::new(format, &map).unwrap();
            for n in 0..rows {
                report.write(&failed(n)).unwrap();
                if let Some(piece) = report.take_ready(PART_BYTES).unwrap() {
                    out.write_all(&piece).unwrap();
                }
            }
            match report.finish().unwrap().body {
                ReportBody::Bytes(rest) => out.write_all(&rest).unwrap(),
                ReportBody::Workbook(mut workbook) => workbook.save_to_writer(&mut out).unwrap(),
            }
        }
    }
    println!(
        "{format}: {rows} failed rows, {:.1} MB written in {:.1} s, peak RSS {:.0} MB (at start {:.0} MB)",
        out.0 as f64 / 1e6,
        start.elapsed().as_secs_f64(),
        peak_mb(),
        baseline
    );
}
