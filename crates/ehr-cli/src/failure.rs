//! Why a command failed, and the exit code a shell sees for it.

use std::fmt;
use std::process::ExitCode;

use ehr_sdk::ErrorKind;

/// Exit codes by class.
pub mod code {
    /// A bad command line, flag value or body.
    pub const USAGE: u8 = 2;
    /// No credentials, refused credentials, a missing scope.
    pub const AUTH: u8 = 3;
    /// The vendor has no such thing.
    pub const NOT_FOUND: u8 = 4;
    /// The vendor refused the request as it is (validation, conflict, a documented refusal).
    pub const REFUSED: u8 = 5;
    /// Rate limited.
    pub const RATE_LIMITED: u8 = 6;
    /// The vendor's server failed, or the network did.
    pub const SERVER: u8 = 7;
    /// Anything else (a file that cannot be read, a profile that does not parse).
    pub const OTHER: u8 = 1;
}

/// A command's failure.
#[derive(Debug)]
pub enum Failure {
    /// A bad command line, flag value or body.
    Usage(String),
    /// A call failed: the SDK's error, printed with its `Display`.
    Api(ehr_sdk::Error),
    /// No usable credentials.
    Auth(String),
    /// Something checked was refused (a webhook delivery that does not verify).
    Refused(String),
    /// Anything else.
    Other(String),
    /// Standard output was closed (`| head`): the command ends quietly.
    ClosedOutput,
}

impl Failure {
    /// A usage error.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure::Usage(message.into())
    }

    /// A failure writing output: quiet when the reader has gone.
    pub fn output(error: std::io::Error) -> Self {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::ClosedOutput
        } else {
            Failure::Other(format!("cannot write the output: {error}"))
        }
    }

    /// The exit code of this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => code::USAGE,
            Failure::Auth(_) => code::AUTH,
            Failure::Refused(_) => code::REFUSED,
            Failure::Other(_) => code::OTHER,
            Failure::ClosedOutput => 0,
            Failure::Api(error) => match error.kind() {
                ErrorKind::Auth | ErrorKind::Unauthorized | ErrorKind::Forbidden => code::AUTH,
                ErrorKind::MissingScope => code::AUTH,
                ErrorKind::NotFound => code::NOT_FOUND,
                ErrorKind::Validation
                | ErrorKind::Conflict
                | ErrorKind::Refused
                | ErrorKind::Outcome
                | ErrorKind::InvalidRequest => code::REFUSED,
                ErrorKind::RateLimited => code::RATE_LIMITED,
                _ => code::SERVER,
            },
        }
    }

    /// Prints the failure on standard error (nothing for a closed output) and returns the
    /// process's exit code.
    pub fn report(self) -> ExitCode {
        if !matches!(self, Failure::ClosedOutput) {
            say!("error: {self}");
        }
        ExitCode::from(self.exit_code())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage(m) | Failure::Auth(m) | Failure::Refused(m) | Failure::Other(m) => {
                f.write_str(m)
            }
            Failure::Api(e) => write!(f, "{e}"),
            Failure::ClosedOutput => f.write_str("output closed"),
        }
    }
}

impl From<ehr_sdk::Error> for Failure {
    fn from(error: ehr_sdk::Error) -> Self {
        Failure::Api(error)
    }
}
