//! `moat audit verify FILE`: check an audit log's chain and name each line
//! that was edited, removed, reordered or cut.

use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;
use moat_audit::Verify;

/// The subcommands of `moat audit`.
#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check an audit log written by `moat serve --audit FILE`.
    ///
    /// Exits 0 and prints the number of lines and the last line's hash
    /// when the chain is intact; exits 1 and prints each problem (line
    /// number, what is wrong) otherwise. Lines cut off the end leave an
    /// intact, shorter chain: keep the last hash printed, and give it as
    /// `--expect-last` next time.
    Verify {
        /// The audit log.
        file: PathBuf,
        /// A hash an earlier verify printed as the last: the line it
        /// names must still be in the log (later lines may follow).
        #[arg(long, value_name = "sha256:HEX")]
        expect_last: Option<String>,
    },
}

/// Runs `command`.
pub fn run(command: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify { file, expect_last } = command;
    let log = std::fs::File::open(&file)
        .with_context(|| format!("cannot read the audit log {}", file.display()))?;
    let report = Verify {
        anchor: expect_last,
    }
    .run(BufReader::new(log))
    .with_context(|| format!("cannot read the audit log {}", file.display()))?;
    print!("{report}");
    Ok(if report.is_intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
