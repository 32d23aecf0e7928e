//! Writes `examples/users.xlsx`, the valid sheet of the README walkthrough.
//!
//! `cargo run -p roster-tests --example write_examples` (the file is committed; rerun after
//! changing the rows below).

use rust_xlsxwriter::{Format, Workbook};

const HEADERS: [&str; 8] = [
    "Login",
    "First Name",
    "Last Name",
    "Email",
    "Mobile Phone",
    "Department",
    "Roles",
    "Send Text",
];

const ROWS: [[&str; 8]; 3] = [
    [
        "ava.lee",
        "Ava",
        "Lee",
        "ava.lee@example.com",
        "+1 201 555 0141",
        "sales",
        "agent",
        "yes",
    ],
    [
        "ben.okafor",
        "Ben",
        "Okafor",
        "ben.okafor@example.com",
        "(201) 555-0142",
        "sales",
        "agent",
        "no",
    ],
    [
        "chloe.martin",
        "Chloe",
        "Martin",
        "chloe.martin@example.com",
        "",
        "sales",
        "team_manager",
        "no",
    ],
];

fn main() -> Result<(), rust_xlsxwriter::XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet().set_name("Users")?;
    let bold = Format::new().set_bold();
    for (c, header) in HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *header, &bold)?;
    }
    for (r, row) in ROWS.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            if !value.is_empty() {
                sheet.write_string(r as u32 + 1, c as u16, *value)?;
            }
        }
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/users.xlsx");
    workbook.save(path)?;
    println!("wrote {path}");
    Ok(())
}
