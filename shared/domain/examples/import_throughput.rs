//! Parse + validate throughput of the importer against the bare readers (csv, calamine) on the
//! same files in the same run, and peak memory for large files.
//!
//! Throughput: `cargo run --release -p roster-domain --example import_throughput -- 100000`
//! Peak RSS:   `cargo run --release -p roster-domain --example import_throughput -- 1000000 csv`
//!             `cargo run --release -p roster-domain --example import_throughput -- 1000000 xlsx`

use std::collections::BTreeSet;
use std::time::Instant;

use calamine::Reader;
use roster_domain::ids::DepartmentId;
use roster_domain::import::columns::HeaderMap;
use roster_domain::import::runner::RowChecker;
use roster_domain::import::sheet::{FileFormat, SheetEvent, read_csv, read_workbook};
use roster_domain::tenant::TenantSettings;

const HEADER: [&str; 8] = [
    "login",
    "first_name",
    "last_name",
    "department_id",
    "email",
    "mobile_phone",
    "roles",
    "priority",
];

fn row(i: usize) -> [String; 8] {
    [
        format!("user.{i}"),
        "Jane".into(),
        format!("Doe{}", i % 997),
        if i.is_multiple_of(2) {
            "sales".into()
        } else {
            "support".into()
        },
        format!("user.{i}@example.com"),
        format!("+1201555{:04}", i % 10_000),
        "agent".into(),
        (i % 6).to_string(),
    ]
}

fn write_csv(path: &std::path::Path, rows: usize) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(HEADER).unwrap();
    for i in 0..rows {
        w.write_record(row(i)).unwrap();
    }
    w.flush().unwrap();
}

fn write_xlsx(path: &std::path::Path, rows: usize) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory().unwrap();
    for (c, h) in HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for i in 0..rows {
        for (c, v) in row(i).iter().enumerate() {
            sheet.write_string(i as u32 + 1, c as u16, v).unwrap();
        }
    }
    book.save(path).unwrap();
}

/// Reads and validates every row the way the import job does; returns the valid count.
/// Feeds one file's events to a visitor.
type Source<'a> = &'a mut dyn FnMut(&mut dyn FnMut(SheetEvent) -> bool);

fn ours(rows: usize, events: Source) -> usize {
    let departments: BTreeSet<DepartmentId> = ["sales", "support"]
        .iter()
        .map(|d| DepartmentId::parse(d).unwrap())
        .collect();
    let mut checker: Option<RowChecker> = None;
    let mut valid = 0;
    events(&mut |e| {
        match e {
            SheetEvent::Header(h) => {
                let map = HeaderMap::new(&h).unwrap();
                checker = Some(
                    RowChecker::new(map, TenantSettings::default(), departments.clone())
                        .expecting_rows(rows as u64),
                );
            }
            SheetEvent::Row(r) => valid += usize::from(checker.as_mut().unwrap().check(&r)),
        }
        true
    });
    valid
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn best_of<F: FnMut() -> usize>(runs: usize, mut f: F) -> (f64, usize) {
    let mut best = f64::MAX;
    let mut n = 0;
    for _ in 0..runs {
        let start = Instant::now();
        n = f();
        best = best.min(start.elapsed().as_secs_f64());
    }
    (best, n)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rows: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let only = args.get(2).cloned();
    let dir = std::env::temp_dir().join(format!("roster-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv_path = dir.join("users.csv");
    let xlsx_path = dir.join("users.xlsx");

    if let Some(kind) = only {
        // Peak memory of one full parse + validate (+ duplicate sets) of a large file.
        let valid = if kind == "csv" {
            write_csv(&csv_path, rows);
            let before = peak_rss_mb();
            let n = ours(rows, &mut |visit| {
                read_csv(std::fs::File::open(&csv_path).unwrap(), visit).unwrap();
            });
            println!("peak RSS before reading (writing the file): {before:.0} MB");
            n
        } else {
            write_xlsx(&xlsx_path, rows);
            let before = peak_rss_mb();
            let n = ours(rows, &mut |visit| {
                read_workbook(std::fs::read(&xlsx_path).unwrap(), FileFormat::Xlsx, visit).unwrap();
            });
            println!("peak RSS before reading (writing the file): {before:.0} MB");
            n
        };
        println!(
            "{kind}: {rows} rows, {valid} valid, peak RSS {:.0} MB",
            peak_rss_mb()
        );
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }

    write_csv(&csv_path, rows);
    write_xlsx(&xlsx_path, rows);
    let (bare_csv, n1) = best_of(3, || {
        csv::Reader::from_path(&csv_path).unwrap().records().count()
    });
    let (ours_csv, v1) = best_of(3, || {
        ours(rows, &mut |visit| {
            read_csv(std::fs::File::open(&csv_path).unwrap(), visit).unwrap();
        })
    });
    let (bare_xlsx, n2) = best_of(3, || {
        let mut book = calamine::open_workbook_auto(&xlsx_path).unwrap();
        let first = book.sheet_names()[0].clone();
        book.worksheet_range(&first).unwrap().rows().count() - 1
    });
    let (ours_xlsx, v2) = best_of(3, || {
        ours(rows, &mut |visit| {
            read_workbook(std::fs::read(&xlsx_path).unwrap(), FileFormat::Xlsx, visit).unwrap();
        })
    });
    assert_eq!((n1, n2, v1, v2), (rows, rows, rows, rows));
    let rate = |secs: f64| rows as f64 / secs;
    println!("| file | bare reader rows/s | parse + validate rows/s | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| CSV, {rows} rows | {:.0} (csv) | {:.0} | {:.0}% |",
        rate(bare_csv),
        rate(ours_csv),
        100.0 * bare_csv / ours_csv
    );
    println!(
        "| XLSX, {rows} rows | {:.0} (calamine) | {:.0} | {:.0}% |",
        rate(bare_xlsx),
        rate(ours_xlsx),
        100.0 * bare_xlsx / ours_xlsx
    );
    let _ = std::fs::remove_dir_all(&dir);
}
