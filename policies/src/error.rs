//! Errors of the policies crate.

use std::path::PathBuf;

use crate::diag::Diagnostics;

/// Why a policy directory could not be loaded. The running set (if any) is kept.
#[derive(Debug, thiserror::Error)]
pub enum PolicyLoadError {
    #[error("cannot read policy directory {}: {source}; check that it exists and is readable", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} problem(s) in policy directory {}:\n{diagnostics}", diagnostics.len(), dir.display())]
    Invalid {
        dir: PathBuf,
        diagnostics: Diagnostics,
    },
}

impl PolicyLoadError {
    /// The validation problems, when the files were read but are invalid.
    pub fn diagnostics(&self) -> Option<&Diagnostics> {
        match self {
            PolicyLoadError::Invalid { diagnostics, .. } => Some(diagnostics),
            PolicyLoadError::Read { .. } => None,
        }
    }
}

/// Why a `warden policy` command failed (as opposed to finding problems, which is exit 1).
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error(transparent)]
    Load(#[from] PolicyLoadError),
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
    #[error("cannot load guard model {}: {reason}; check the path (a model directory or GGUF file)", path.display())]
    Guard { path: PathBuf, reason: String },
    #[error("cannot build the code scanner: {0}")]
    Scanner(String),
    #[error("invalid --header {0:?}: write it as NAME=VALUE, such as x-team=red")]
    InvalidHeader(String),
    #[error("cannot watch policy directory {}: {reason}", path.display())]
    Watch { path: PathBuf, reason: String },
}
