//! The shipped presets, embedded so a gateway runs without any policy file.

use std::path::PathBuf;

use crate::compile::{PolicySource, ScanCatalog, compile};
use crate::error::PolicyLoadError;
use crate::set::PolicySet;

/// Preset names and their YAML text.
pub const PRESETS: [(&str, &str); 3] = [
    ("default", include_str!("../presets/default.yaml")),
    ("monitor", include_str!("../presets/monitor.yaml")),
    ("strict", include_str!("../presets/strict.yaml")),
];

/// The YAML text of a preset.
pub fn preset_text(name: &str) -> Option<&'static str> {
    PRESETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Compiles one preset as a set of its own (its only policy is the default).
pub fn compile_preset(name: &str, catalog: &ScanCatalog) -> Result<PolicySet, PolicyLoadError> {
    let dir = PathBuf::from(format!("(preset {name})"));
    let Some(text) = preset_text(name) else {
        return Err(PolicyLoadError::Read {
            path: dir,
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "no preset named {name:?}; presets: {}",
                    PRESETS.map(|(n, _)| n).join(", ")
                ),
            ),
        });
    };
    let sources = [PolicySource {
        name: PathBuf::from(format!("{name}.yaml")),
        text: text.to_owned(),
    }];
    compile(&sources, catalog).map_err(|diagnostics| PolicyLoadError::Invalid { dir, diagnostics })
}

impl PolicySet {
    /// The built-in `default` preset, checked against the built-in code-scan rules.
    pub fn builtin_default() -> PolicySet {
        compile_preset("default", &ScanCatalog::builtin())
            .expect("the built-in default preset compiles (tested by presets_compile_with_the_builtin_catalog)")
    }
}
