//! The uploaded file as a stream of sheet events. Reading is blocking work, so it runs on a
//! blocking thread and hands events over in batches through a bounded channel: a CSV is
//! streamed from the bucket as it is read, a workbook (which needs random access) is
//! downloaded once per invocation and re-read from memory by each pass.

use std::io::Read;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::ImportError;
use crate::import::files::{ImportFiles, ObjectRef};
use crate::import::sheet::{
    CsvDialect, FileFormat, ReadError, SheetEvent, read_csv, read_workbook,
};

/// Events per batch sent over the channel.
const BATCH: usize = 256;
/// Batches in flight: the reader stays at most this far ahead of the writer.
const IN_FLIGHT: usize = 4;

/// The uploaded file, opened once per invocation.
pub(super) enum Source {
    Csv,
    Workbook(Arc<Vec<u8>>, FileFormat),
}

impl Source {
    /// A CSV is left in the bucket (each pass streams it); a workbook is fetched now.
    pub(super) async fn open<F: ImportFiles>(
        files: &F,
        object: ObjectRef<'_>,
        format: FileFormat,
    ) -> Result<Self, ImportError> {
        Ok(match format {
            FileFormat::Csv => Source::Csv,
            other => Source::Workbook(
                Arc::new(files.download(object).await.map_err(ImportError::Bucket)?),
                other,
            ),
        })
    }
}

/// What the blocking reader reads from.
enum Input {
    Csv(Box<dyn Read + Send>),
    Workbook(Arc<Vec<u8>>, FileFormat),
}

/// One read of the file from its first line.
pub(super) struct SheetStream {
    events: mpsc::Receiver<Vec<SheetEvent>>,
    reader: JoinHandle<Result<Option<CsvDialect>, ReadError>>,
}

impl SheetStream {
    pub(super) async fn open<F: ImportFiles>(
        files: &F,
        object: ObjectRef<'_>,
        source: &Source,
    ) -> Result<Self, ImportError> {
        let input = match source {
            Source::Csv => Input::Csv(files.stream(object).await.map_err(ImportError::Bucket)?),
            Source::Workbook(bytes, format) => Input::Workbook(Arc::clone(bytes), *format),
        };
        let (tx, events) = mpsc::channel::<Vec<SheetEvent>>(IN_FLIGHT);
        let reader = tokio::task::spawn_blocking(move || {
            let mut batch = Vec::with_capacity(BATCH);
            // `false` (the receiver is gone) stops the reader early.
            let mut visit = |event: SheetEvent| {
                batch.push(event);
                batch.len() < BATCH || tx.blocking_send(std::mem::take(&mut batch)).is_ok()
            };
            let dialect = match input {
                Input::Csv(reader) => Some(read_csv(reader, &mut visit)?),
                Input::Workbook(bytes, format) => {
                    read_workbook(bytes.as_ref().clone(), format, &mut visit)?;
                    None
                }
            };
            let _ = tx.blocking_send(batch);
            Ok(dialect)
        });
        Ok(Self { events, reader })
    }

    /// The next batch of events; `None` at the end of the file (or when the reader failed).
    pub(super) async fn next(&mut self) -> Option<Vec<SheetEvent>> {
        self.events.recv().await
    }

    /// Stops reading, and says how the read ended: the CSV dialect, or why the file is bad.
    pub(super) async fn close(self) -> Result<Option<CsvDialect>, ReadError> {
        drop(self.events);
        self.reader
            .await
            .unwrap_or_else(|_| Err(ReadError("the file could not be read".into())))
    }
}
