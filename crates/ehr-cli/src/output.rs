//! Writing answers: `json` (default when piped), `ndjson`, `table` (default on a terminal) and
//! `csv`. Lists are written record by record as they arrive, in every format, so memory stays
//! flat however many pages a list has (a table sizes its columns from its first rows).

use std::io::{IsTerminal, Write};

use serde_json::Value;

use crate::failure::Failure;

/// How answers are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A JSON document: the object, or an array of the records.
    Json,
    /// One JSON record a line.
    Ndjson,
    /// Aligned columns, as wide as the terminal.
    Table,
    /// Comma-separated values with a header row.
    Csv,
}

impl Format {
    /// Every format's name, for `--format`.
    pub const NAMES: [&'static str; 4] = ["json", "ndjson", "table", "csv"];

    /// The format named `name`; the default for standard output when `None`: `table` on a
    /// terminal, `json` otherwise.
    pub fn chosen(name: Option<&str>) -> Format {
        match name {
            Some("json") => Format::Json,
            Some("ndjson") => Format::Ndjson,
            Some("table") => Format::Table,
            Some("csv") => Format::Csv,
            _ if std::io::stdout().is_terminal() => Format::Table,
            _ => Format::Json,
        }
    }
}

/// How many rows a table reads before it sizes its columns.
const TABLE_SAMPLE: usize = 50;

/// Where answers go.
pub struct Output {
    format: Format,
    columns: Option<Vec<String>>,
    out: Box<dyn Write>,
    /// The terminal's width, for tables.
    width: Option<usize>,
    list: List,
}

/// A list being written.
#[derive(Default)]
struct List {
    records: u64,
    /// A table's first rows, until it sizes its columns.
    sample: Vec<Value>,
    widths: Option<Vec<usize>>,
}

impl Output {
    /// Answers written to standard output in `format`, with `columns` for tables and CSV (the
    /// first record's fields when `None`).
    pub fn stdout(format: Format, columns: Option<Vec<String>>) -> Self {
        let width = terminal_size::terminal_size().map(|(w, _)| usize::from(w.0));
        Self::new(
            format,
            columns,
            Box::new(std::io::BufWriter::new(std::io::stdout())),
            width,
        )
    }

    /// Answers written to `out`.
    pub fn new(
        format: Format,
        columns: Option<Vec<String>>,
        out: Box<dyn Write>,
        width: Option<usize>,
    ) -> Self {
        Self {
            format,
            columns,
            out,
            width,
            list: List::default(),
        }
    }

    /// Writes one answer (an object, or an array written as a list).
    pub fn one(&mut self, value: &Value) -> Result<(), Failure> {
        match (self.format, value) {
            (Format::Json, _) => {
                let text = serde_json::to_string_pretty(value)
                    .map_err(|e| Failure::Other(format!("cannot print the answer: {e}")))?;
                writeln!(self.out, "{text}").map_err(Failure::output)?;
            }
            (_, Value::Array(items)) => {
                self.start_list()?;
                for item in items {
                    self.record(item)?;
                }
                self.end_list()?;
                return Ok(());
            }
            (Format::Ndjson, _) => {
                writeln!(self.out, "{value}").map_err(Failure::output)?;
            }
            (Format::Table | Format::Csv, _) => {
                self.start_list()?;
                self.record(value)?;
                self.end_list()?;
                return Ok(());
            }
        }
        self.out.flush().map_err(Failure::output)
    }

    /// Writes raw bytes (a document the vendor sends as it is).
    pub fn raw(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.out.write_all(bytes).map_err(Failure::output)
    }

    /// Starts a list of records.
    pub fn start_list(&mut self) -> Result<(), Failure> {
        self.list = List::default();
        if self.format == Format::Json {
            self.out.write_all(b"[").map_err(Failure::output)?;
        }
        Ok(())
    }

    /// Writes one record of the list.
    pub fn record(&mut self, record: &Value) -> Result<(), Failure> {
        let first = self.list.records == 0;
        self.list.records += 1;
        match self.format {
            Format::Json => {
                let separator: &[u8] = if first { b"\n  " } else { b",\n  " };
                self.out.write_all(separator).map_err(Failure::output)?;
                serde_json::to_writer(&mut self.out, record)
                    .map_err(|e| Failure::output(e.into()))?;
            }
            Format::Ndjson => {
                serde_json::to_writer(&mut self.out, record)
                    .map_err(|e| Failure::output(e.into()))?;
                self.out.write_all(b"\n").map_err(Failure::output)?;
            }
            Format::Csv => {
                let columns = self.columns_of(record);
                let mut writer = csv::Writer::from_writer(Vec::new());
                if first {
                    writer.write_record(&columns).map_err(csv_error)?;
                }
                writer
                    .write_record(columns.iter().map(|c| cell(record.get(c))))
                    .map_err(csv_error)?;
                let bytes = writer
                    .into_inner()
                    .map_err(|e| Failure::output(std::io::Error::other(e.to_string())))?;
                self.out.write_all(&bytes).map_err(Failure::output)?;
            }
            Format::Table => {
                if self.list.widths.is_none() {
                    self.list.sample.push(record.clone());
                    if self.list.sample.len() >= TABLE_SAMPLE {
                        self.size_table()?;
                    }
                } else {
                    self.table_row(record)?;
                }
            }
        }
        Ok(())
    }

    /// Flushes what was written so far (after each page).
    pub fn flush(&mut self) -> Result<(), Failure> {
        self.out.flush().map_err(Failure::output)
    }

    /// Ends the list.
    pub fn end_list(&mut self) -> Result<(), Failure> {
        match self.format {
            Format::Json => {
                let end: &[u8] = if self.list.records == 0 {
                    b"]\n"
                } else {
                    b"\n]\n"
                };
                self.out.write_all(end).map_err(Failure::output)?;
            }
            Format::Table if self.list.widths.is_none() => self.size_table()?,
            _ => {}
        }
        self.flush()
    }

    /// The records written in the current list.
    pub fn records(&self) -> u64 {
        self.list.records
    }

    fn columns_of(&mut self, record: &Value) -> Vec<String> {
        if let Some(columns) = &self.columns {
            return columns.clone();
        }
        let columns = match record {
            Value::Object(map) => {
                let mut keys: Vec<String> = map.keys().cloned().collect();
                if let Some(at) = keys.iter().position(|k| k == "id") {
                    let id = keys.remove(at);
                    keys.insert(0, id);
                }
                keys
            }
            _ => vec!["value".to_string()],
        };
        self.columns = Some(columns.clone());
        columns
    }

    /// Sizes the table's columns from the rows read so far, then writes the header and them.
    fn size_table(&mut self) -> Result<(), Failure> {
        let sample = std::mem::take(&mut self.list.sample);
        let columns = match sample.first() {
            Some(first) => self.columns_of(first),
            None => self.columns.clone().unwrap_or_default(),
        };
        let mut widths: Vec<usize> = columns.iter().map(|c| c.chars().count()).collect();
        for row in &sample {
            for (i, column) in columns.iter().enumerate() {
                widths[i] = widths[i].max(cell(row.get(column)).chars().count());
            }
        }
        if let Some(total) = self.width {
            fit(&mut widths, total);
        }
        self.list.widths = Some(widths.clone());
        let header: Vec<String> = columns.iter().map(|c| c.to_uppercase()).collect();
        self.write_row(&header, &widths)?;
        for row in &sample {
            self.table_row(row)?;
        }
        Ok(())
    }

    fn table_row(&mut self, record: &Value) -> Result<(), Failure> {
        let columns = self.columns.clone().unwrap_or_default();
        let widths = self.list.widths.clone().unwrap_or_default();
        let cells: Vec<String> = columns.iter().map(|c| cell(record.get(c))).collect();
        self.write_row(&cells, &widths)
    }

    fn write_row(&mut self, cells: &[String], widths: &[usize]) -> Result<(), Failure> {
        let mut line = String::new();
        for (i, (text, width)) in cells.iter().zip(widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let text = truncate(text, *width);
            let pad = width.saturating_sub(text.chars().count());
            line.push_str(&text);
            if i + 1 < cells.len() {
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(self.out, "{line}").map_err(Failure::output)
    }
}

/// A record's field as a cell: text as it is, numbers and booleans as written, nothing for
/// null or absent, and objects and arrays as compact JSON.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.replace(['\n', '\r', '\t'], " "),
        Some(other) => other.to_string(),
    }
}

/// `text` cut to `width` characters, with `…` where it was cut.
fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Narrows the widest columns until the row, with two spaces between columns, fits `total`
/// (no column narrower than 6).
fn fit(widths: &mut [usize], total: usize) {
    let gaps = widths.len().saturating_sub(1) * 2;
    while widths.iter().sum::<usize>() + gaps > total {
        let Some((at, widest)) = widths.iter().copied().enumerate().max_by_key(|(_, w)| *w) else {
            return;
        };
        if widest <= 6 {
            return;
        }
        widths[at] = widest - 1;
    }
}

fn csv_error(error: csv::Error) -> Failure {
    match error.into_kind() {
        csv::ErrorKind::Io(io) => Failure::output(io),
        other => Failure::Other(format!("cannot write CSV: {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Output into a buffer the test can read.
    fn into_buffer(
        format: Format,
        width: Option<usize>,
    ) -> (Output, std::sync::Arc<std::sync::Mutex<Vec<u8>>>) {
        #[derive(Clone)]
        struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let shared = Shared(Default::default());
        let buffer = shared.0.clone();
        (Output::new(format, None, Box::new(shared), width), buffer)
    }

    fn text(buffer: &std::sync::Arc<std::sync::Mutex<Vec<u8>>>) -> String {
        String::from_utf8(buffer.lock().unwrap().clone()).unwrap()
    }

    fn records() -> Vec<Value> {
        vec![
            serde_json::json!({"id": 1, "last_name": "Doe, Jane", "notes": null}),
            serde_json::json!({"id": 2, "last_name": "Roe", "notes": "said \"hi\""}),
        ]
    }

    fn write_all(output: &mut Output) {
        output.start_list().unwrap();
        for r in records() {
            output.record(&r).unwrap();
        }
        output.end_list().unwrap();
    }

    #[test]
    fn a_json_list_is_one_array_that_parses_back() {
        let (mut output, buffer) = into_buffer(Format::Json, None);
        write_all(&mut output);
        let parsed: Vec<Value> = serde_json::from_str(&text(&buffer)).unwrap();
        assert_eq!(parsed, records());
    }

    #[test]
    fn an_empty_json_list_is_an_empty_array() {
        let (mut output, buffer) = into_buffer(Format::Json, None);
        output.start_list().unwrap();
        output.end_list().unwrap();
        assert_eq!(text(&buffer), "[]\n");
    }

    #[test]
    fn ndjson_is_one_record_a_line() {
        let (mut output, buffer) = into_buffer(Format::Ndjson, None);
        write_all(&mut output);
        let lines: Vec<Value> = text(&buffer)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines, records());
    }

    #[test]
    fn csv_quotes_what_needs_quoting_with_id_first() {
        let (mut output, buffer) = into_buffer(Format::Csv, None);
        write_all(&mut output);
        assert_eq!(
            text(&buffer),
            "id,last_name,notes\n1,\"Doe, Jane\",\n2,Roe,\"said \"\"hi\"\"\"\n"
        );
    }

    #[test]
    fn a_table_aligns_columns_and_fits_the_terminal() {
        let (mut output, buffer) = into_buffer(Format::Table, Some(20));
        write_all(&mut output);
        let text = text(&buffer);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("ID  LAST"), "{text}");
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{text}");
        assert!(lines[2].contains('…'), "the long cell is cut: {text}");
    }
}
