//! Reading laboratory results in bulk from CSV (`healthcode import results`): the
//! header row and every data row, each parsed into a [`ResultInput`] or kept with
//! the reason it is unreadable. Pure: it reads from any reader and writes nothing;
//! the caller validates each row ([`ResultInput::validate`]) and applies it.

use std::io::Read;

use crate::workbench::ResultInput;

/// The columns a results file must have (`result_at` may be absent or empty).
pub const RESULT_COLUMNS: [&str; 5] = ["tube_id", "kind", "outcome", "laboratory", "sample_at"];

/// Why a results file cannot be read at all (a bad row is only skipped).
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// The header row is missing or unreadable.
    #[error("the file has no header row: {0}")]
    Header(String),
    /// The header row lacks a required column.
    #[error(
        "the header row lacks the column {0} (expected tube_id,kind,outcome,laboratory,sample_at,result_at)"
    )]
    MissingColumn(&'static str),
}

/// A data row with its line number, parsed or with the reason it is unreadable.
pub type Row = (u64, Result<ResultInput, String>);

/// Reads a results file: fields are trimmed, columns found by their header name.
pub fn read_results(input: impl Read) -> Result<Vec<Row>, CsvError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| CsvError::Header(e.to_string()))?
        .clone();
    for required in RESULT_COLUMNS {
        if !headers.iter().any(|h| h == required) {
            return Err(CsvError::MissingColumn(required));
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, csv::Position::line);
                let parsed = record
                    .deserialize::<ResultInput>(Some(&headers))
                    .map_err(|e| format!("cannot read the row: {e}"));
                rows.push((line, parsed));
            }
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                rows.push((line, Err(format!("cannot read the row: {e}"))));
            }
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_parsed_or_refused_by_line() {
        let file = "tube_id,kind,outcome,laboratory,sample_at,result_at\n\
                    T-1, pcr ,negative,Lab A,2025-06-15T08:00:00Z,\n\
                    T-2,pcr,negative\n";
        let rows = read_results(file.as_bytes()).expect("header");
        assert_eq!(rows.len(), 2);
        let (line, first) = &rows[0];
        assert_eq!(*line, 2);
        let first = first.as_ref().expect("first row");
        assert_eq!(first.tube_id, "T-1");
        assert_eq!(first.kind, "pcr");
        assert_eq!(first.result_at, None);
        assert_eq!(rows[1].0, 3);
        assert!(rows[1].1.is_err());
    }

    #[test]
    fn a_missing_column_refuses_the_file() {
        let err = read_results("tube_id,kind,outcome,laboratory\n".as_bytes());
        assert!(matches!(err, Err(CsvError::MissingColumn("sample_at"))));
        assert!(matches!(
            read_results(&b"\xff\xfe,\n"[..]),
            Err(CsvError::Header(_) | CsvError::MissingColumn(_))
        ));
    }
}
