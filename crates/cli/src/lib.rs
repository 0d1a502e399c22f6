//! The `maillage` command line: parses arguments with clap and wires the crates together.
use std::process::ExitCode;

/// Entry point called by the binary.
pub fn main() -> ExitCode {
    ExitCode::SUCCESS
}
