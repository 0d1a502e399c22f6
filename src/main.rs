//! The `maillage` binary: everything lives in `maillage-cli`; this file only hands over.
fn main() -> std::process::ExitCode {
    maillage_cli::main()
}
