//! Field checks shared by the readers of the standard formats.

/// Splits a header line on the delimiter, honouring quotes.
pub fn split_header(line: &str, delimiter: u8) -> Vec<String> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    match rdr.records().next() {
        Some(Ok(rec)) => rec
            .iter()
            .map(|s| s.trim().trim_start_matches('\u{feff}').to_string())
            .collect(),
        _ => Vec::new(),
    }
}
