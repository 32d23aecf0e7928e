//! Bulk import from spreadsheets: reading files, mapping headers and rows, and writing the
//! error report. The job runner (storage, S3, checkpoints) builds on these.

pub mod columns;
pub mod directory;
pub mod files;
pub mod intake;
pub mod job;
pub mod legacy_formats;
pub mod report;
pub mod rows;
pub mod runner;
pub mod sheet;
pub mod sweep;
pub mod xls_guard;
pub mod zip_guard;
