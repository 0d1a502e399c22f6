//! Turning the bytes of a source file into UTF-8 text, and finding its CSV delimiter.
//!
//! French open data really comes as UTF-8, UTF-8 with a byte-order mark (Excel's "CSV UTF-8"),
//! or Windows-1252 (Excel's plain "CSV"), with `,` `;` or tab between fields. Readers must not
//! ask the user which: a file that is not valid UTF-8 is read as Windows-1252 (every byte
//! sequence is valid Windows-1252, and Latin-1 files are a subset of it for letters). Big files
//! go through [`DecodingReader`], which makes the same decision while streaming, so a 1 GB file
//! is never held in memory.

use std::io::{self, Read};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Names of the encodings we report.
pub const UTF8: &str = "UTF-8";
pub const UTF8_BOM: &str = "UTF-8 (BOM)";
pub const WINDOWS_1252: &str = "Windows-1252";

/// A whole file decoded to UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The text, without the byte-order mark.
    pub text: String,
    /// `"UTF-8"`, `"UTF-8 (BOM)"` or `"Windows-1252"`.
    pub encoding: &'static str,
}

/// Decodes a whole file: UTF-8 (BOM stripped) when valid, Windows-1252 otherwise.
pub fn decode(bytes: &[u8]) -> Decoded {
    if let Some(rest) = bytes.strip_prefix(BOM) {
        // A BOM announces UTF-8; a stray invalid byte after it is replaced, not re-read as
        // Windows-1252, because the producer told us the encoding.
        return Decoded {
            text: String::from_utf8_lossy(rest).into_owned(),
            encoding: UTF8_BOM,
        };
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Decoded {
            text: s.to_string(),
            encoding: UTF8,
        },
        // Same rule as the streaming reader: non-ASCII UTF-8 before the first invalid
        // sequence means a UTF-8 file with a damaged byte, not Windows-1252.
        Err(e) if !bytes[..e.valid_up_to()].is_ascii() => Decoded {
            text: String::from_utf8_lossy(bytes).into_owned(),
            encoding: UTF8,
        },
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            Decoded {
                text: text.into_owned(),
                encoding: WINDOWS_1252,
            }
        }
    }
}

/// Finds the delimiter of a CSV from its first lines: the one of `,` `;` tab that appears most
/// often outside quotes on the first (header) line, ties broken by consistency over the next
/// lines, then in favour of `,` (the standard's delimiter).
pub fn sniff_delimiter(first_lines: &str) -> u8 {
    const CANDIDATES: [u8; 3] = [b',', b';', b'\t'];
    let lines = split_logical_lines(first_lines, 6);
    let Some(header) = lines.first() else {
        return b',';
    };
    let mut best = b',';
    let mut best_score = (0usize, 0usize);
    for &d in &CANDIDATES {
        let n = count_outside_quotes(header, d);
        if n == 0 {
            continue;
        }
        // Lines after the header that have the same count vote for this delimiter.
        let consistent = lines[1..]
            .iter()
            .filter(|l| !l.trim().is_empty() && count_outside_quotes(l, d) == n)
            .count();
        let score = (n, consistent);
        // Prefer consistency first when both have fields; a header with 3 `,` in a title
        // quoted wrongly must not beat 30 `;` that hold on every line.
        let better = score.1 > best_score.1 || (score.1 == best_score.1 && score.0 > best_score.0);
        if better {
            best = d;
            best_score = score;
        }
    }
    best
}

/// Splits text into lines, keeping quoted newlines inside their line.
fn split_logical_lines(text: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => {
                out.push(text[start..i].trim_end_matches('\r'));
                start = i + 1;
                if out.len() == max {
                    return out;
                }
            }
            _ => {}
        }
    }
    if start < text.len() && out.len() < max {
        // The last line may be cut (we only got the first bytes): keep it only if it is
        // the only one.
        if out.is_empty() {
            out.push(text[start..].trim_end_matches('\r'));
        }
    }
    out
}

fn count_outside_quotes(line: &str, d: u8) -> usize {
    let mut in_quotes = false;
    let mut n = 0;
    for &b in line.as_bytes() {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if b == d && !in_quotes {
            n += 1;
        }
    }
    n
}

/// How the streaming decoder is reading the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Valid UTF-8 so far, all ASCII: a later invalid byte means Windows-1252.
    Undecided,
    /// Valid non-ASCII UTF-8 was seen: the file is UTF-8; invalid bytes become U+FFFD.
    Utf8,
    /// An invalid UTF-8 sequence was seen before any non-ASCII UTF-8: Windows-1252.
    Windows1252,
}

/// A `Read` adapter that yields UTF-8 whatever the input encoding, in bounded memory.
///
/// UTF-8 passes through (minus the BOM). The first invalid UTF-8 sequence, if no non-ASCII
/// UTF-8 came before it, switches the rest of the stream to Windows-1252 (what came before
/// was ASCII, identical in both). Once non-ASCII UTF-8 was seen, invalid bytes become U+FFFD.
pub struct DecodingReader<R: Read> {
    inner: R,
    raw: Vec<u8>,
    raw_len: usize,
    out: Vec<u8>,
    out_pos: usize,
    mode: Mode,
    started: bool,
    bom: bool,
    eof: bool,
    cp1252: encoding_rs::Decoder,
}

const CHUNK: usize = 64 * 1024;

impl<R: Read> DecodingReader<R> {
    pub fn new(inner: R) -> Self {
        DecodingReader {
            inner,
            raw: vec![0; CHUNK + 4],
            raw_len: 0,
            out: Vec::with_capacity(CHUNK * 3 + 16),
            out_pos: 0,
            mode: Mode::Undecided,
            started: false,
            bom: false,
            eof: false,
            cp1252: encoding_rs::WINDOWS_1252.new_decoder_without_bom_handling(),
        }
    }

    /// The encoding as detected so far (final once the stream has been read to its end).
    pub fn encoding(&self) -> &'static str {
        match (self.mode, self.bom) {
            (Mode::Windows1252, _) => WINDOWS_1252,
            (_, true) => UTF8_BOM,
            _ => UTF8,
        }
    }

    /// Reads more raw bytes and decodes them into `out`. Returns false at the end.
    fn refill(&mut self) -> io::Result<bool> {
        self.out.clear();
        self.out_pos = 0;
        while self.out.is_empty() {
            if self.eof && self.raw_len == 0 {
                return Ok(false);
            }
            if !self.eof {
                let n = loop {
                    match self.inner.read(&mut self.raw[self.raw_len..CHUNK]) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                };
                if n == 0 {
                    self.eof = true;
                }
                self.raw_len += n;
            }
            if !self.started {
                // Wait for three bytes (or the end) to recognise a BOM.
                if self.raw_len < 3 && !self.eof {
                    continue;
                }
                self.started = true;
                if self.raw[..self.raw_len].starts_with(BOM) {
                    self.bom = true;
                    self.mode = Mode::Utf8;
                    self.raw.copy_within(3..self.raw_len, 0);
                    self.raw_len -= 3;
                }
            }
            self.decode_raw();
        }
        Ok(true)
    }

    fn decode_raw(&mut self) {
        let raw = std::mem::take(&mut self.raw);
        let data = &raw[..self.raw_len];
        let mut consumed = 0;
        loop {
            let rest = &data[consumed..];
            if rest.is_empty() {
                break;
            }
            if self.mode == Mode::Windows1252 {
                let mut s = String::with_capacity(rest.len() * 3);
                let (_, read, _) = self.cp1252.decode_to_string(rest, &mut s, self.eof);
                self.out.extend_from_slice(s.as_bytes());
                consumed += read;
                break;
            }
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    self.note_non_ascii(s.as_bytes());
                    self.out.extend_from_slice(s.as_bytes());
                    consumed += rest.len();
                }
                Err(e) => {
                    let valid = &rest[..e.valid_up_to()];
                    self.note_non_ascii(valid);
                    self.out.extend_from_slice(valid);
                    consumed += valid.len();
                    match e.error_len() {
                        None if !self.eof => break, // an incomplete sequence: wait for more
                        bad => {
                            let bad_len = bad.unwrap_or(data.len() - consumed);
                            if self.mode == Mode::Undecided {
                                self.mode = Mode::Windows1252;
                            } else {
                                self.out.extend_from_slice("\u{FFFD}".as_bytes());
                                consumed += bad_len;
                            }
                        }
                    }
                }
            }
        }
        self.raw = raw;
        self.raw.copy_within(consumed..self.raw_len, 0);
        self.raw_len -= consumed;
    }

    fn note_non_ascii(&mut self, valid: &[u8]) {
        if self.mode == Mode::Undecided && !valid.is_ascii() {
            self.mode = Mode::Utf8;
        }
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_pos >= self.out.len() && !self.refill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.out.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(bytes: &[u8], chunk: usize) -> (String, &'static str) {
        struct Slow<'a>(&'a [u8], usize);
        impl Read for Slow<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut r = DecodingReader::new(Slow(bytes, chunk));
        let mut s = String::new();
        r.read_to_string(&mut s).expect("decoded text is UTF-8");
        (s, r.encoding())
    }

    #[test]
    fn utf8_bom_and_windows_1252_are_recognised() {
        assert_eq!(decode("é;à".as_bytes()).encoding, UTF8);
        let d = decode(b"\xEF\xBB\xBFnom;commune\n");
        assert_eq!((d.text.as_str(), d.encoding), ("nom;commune\n", UTF8_BOM));
        let d = decode(b"Mairie de Montb\xe9ton;\x80");
        assert_eq!(d.text, "Mairie de Montbéton;€");
        assert_eq!(d.encoding, WINDOWS_1252);
    }

    #[test]
    fn streaming_matches_whole_file_decoding_across_chunk_boundaries() {
        let cases: Vec<Vec<u8>> = vec![
            "nom,commune\nMédiathèque,Montauban\n".as_bytes().to_vec(),
            b"\xEF\xBB\xBFnom;commune\n\xc3\xa9;x\n".to_vec(),
            [b"a".repeat(70_000), b"\nMontb\xe9ton\n".to_vec()].concat(),
            b"".to_vec(),
            b"\xEF\xBB".to_vec(),
        ];
        for bytes in cases {
            for chunk in [1, 2, 3, 7, 100_000] {
                let (s, enc) = stream(&bytes, chunk);
                let whole = decode(&bytes);
                assert_eq!(s, whole.text, "chunk {chunk}");
                assert_eq!(enc, whole.encoding, "chunk {chunk}");
            }
        }
    }

    #[test]
    fn delimiter_is_found_outside_quotes() {
        assert_eq!(sniff_delimiter("\"a,b\";c;d\n1;2;3\n"), b';');
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3"), b',');
        assert_eq!(sniff_delimiter("a\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter("\"nom, prénom\";ville\n\"x, y\";z\n"), b';');
        assert_eq!(sniff_delimiter(""), b',');
    }
}
