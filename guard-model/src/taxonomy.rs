//! Which Llama Guard prompt template is used and which categories it lists.

use serde::{Deserialize, Serialize};

/// The Llama Guard generation whose prompt template (and default taxonomy) is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Template {
    /// Llama Guard 1 (`LlamaGuard-7b`): O1-O6 with descriptions.
    #[serde(rename = "lg1")]
    Lg1,
    /// Llama Guard 2 (`Meta-Llama-Guard-2-8B`): S1-S11, names only. The default.
    #[default]
    #[serde(rename = "lg2")]
    Lg2,
    /// Llama Guard 3 8B: S1-S14.
    #[serde(rename = "lg3-8b")]
    Lg3_8b,
    /// Llama Guard 3 1B: S1-S13, excludable keys.
    #[serde(rename = "lg3-1b")]
    Lg3_1b,
}

/// One category as rendered into the guard prompt.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Category {
    /// The code the model answers with, such as `S8` or `O3`.
    pub code: String,
    /// The name as written in the prompt, without the trailing period.
    pub name: String,
    /// Optional policy text rendered under the name.
    pub description: Option<String>,
}

/// A template plus the categories it lists, in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Taxonomy {
    pub template: Template,
    pub categories: Vec<Category>,
}
