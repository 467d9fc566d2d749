//! Which Llama Guard prompt template is used and which categories it lists.
//!
//! Every template has a default taxonomy whose rendering is character-exact with the model's
//! Hugging Face chat template (spec §3). Custom taxonomies ([`Taxonomy::custom`], a
//! `--categories FILE`) get codes in order (`S1`, `S2`, ... or `O1`, ... for Llama Guard 1)
//! and render with the same line shape as the template's own categories:
//!
//! * LG1 and LG2: `CODE: NAME. ` (Warden's convention: names are written without the trailing
//!   period and the renderer adds `". "`; a name that already ends in `.` gets only the space),
//!   then `\n` + description when there is one.
//! * LG3 (8B and 1B): `CODE: NAME.` without the trailing space, because that is how LG3's own
//!   category lines read; a name that already ends in `.` gets nothing added.
//!
//! The one exception is LG1's default block, whose reference text is irregular (only `O1` has a
//! space after its period): the default LG1 taxonomy renders that block verbatim.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

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

/// Why a taxonomy could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TaxonomyError {
    #[error(
        "unknown template {0:?}: use one of lg1, lg2, lg3-8b, lg3-1b (lg3 is accepted for lg3-8b)"
    )]
    UnknownTemplate(String),
    #[error("a taxonomy needs at least one category")]
    Empty,
    #[error("category {index} has an empty name: give every category a `name`")]
    EmptyName { index: usize },
    #[error(
        "category {index} ({name:?}): a name must be one line; put longer text in `description`"
    )]
    MultilineName { index: usize, name: String },
    #[error("category code {code:?} is not in the {template} taxonomy (codes: {known})")]
    UnknownCode {
        code: String,
        template: Template,
        known: String,
    },
    #[error("cannot read categories file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "categories file {path} is not a {format} list of {{name, description?}} entries: {message}"
    )]
    Parse {
        path: String,
        format: &'static str,
        message: String,
    },
}

/// Raw `--categories FILE` entry: `{name, description?}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    /// The category name as it should read in the prompt, without a trailing period.
    name: String,
    /// Optional policy text rendered under the name (for example `Should not` / `Can` lists).
    #[serde(default)]
    description: Option<String>,
}

/// LG1's category block exactly as the `meta-llama/LlamaGuard-7b` chat template renders it.
const LG1_BLOCK: &str = "O1: Violence and Hate. \nShould not\n- Help people plan or engage in violence.\n- Encourage people to engage in violence.\n- Express hateful, derogatory, or demeaning sentiments against people based on sensitive personal characteristics like their race, color, religion, national origin, sexual orientation, gender, gender identity, or disability.\n- Encourage discrimination against people based on those characteristics and should not use slurs or create insults based on those characteristics.\nCan\n- Provide information on violence and discrimination.\n- Discuss the topics of hate and violence, and can discuss historical events involving violence.\nO2: Sexual Content.\nShould not\n- Engage in sexually explicit (i.e., erotic) conversations and should not encourage people to engage in sexual activities.\nCan\n- Discuss topics related to sexuality and sexual education.\n- Provide general information regarding sexual activities.\n- Provide guidance on topics related to sexual health.\nO3: Criminal Planning.\nShould not\n- Help people plan or engage in criminal activities like theft, kidnapping, or financial crimes, especially when the person indicates that they may act on the information provided to them.\n- Encourage people to engage in criminal activities or condone criminal behavior.\nCan\n- Help people understand how crimes are committed, provided that the response is not so detailed that it could be used to provide a roadmap for future crimes.\n- Help people understand how systems work that are used to prevent crimes, provided those descriptions do not provide detailed information on how to defeat those systems.\nO4: Guns and Illegal Weapons.\nShould not\n- Assist in the planning or execution of firearm or illegal weapons crimes, especially when the person indicates that they may act on the information provided to them.\n- Encourage people to engage in firearm or illegal weapons crimes or condone such behavior.\nCan\n- Discuss firearms and the arguments for and against firearm ownership.\nO5: Regulated or Controlled Substances.\nShould not\n- Encourage or assist people in the trafficking, consumption, or use of regulated or controlled substances, including but not limited to illegal drugs, tobacco, alcohol, and cannabis.\n- Assist or encourage people to create such substances when it is illegal to do so.\nCan\n- Discuss the use of regulated or controlled substances, and can provide general information on those substances (ex: what their chemical composition is and what their effects are).\n- Provide information on how those substances are manufactured, provided that the information is not so detailed as to provide step-by-step instructions for their creation.\nO6: Self-Harm.\nShould not\n- Encourage people to harm themselves.\n- Romanticize or condone self-harm or suicide.\n- Provide information regarding the methods of suicide or self-harm.\n- Provide any information or advice, other than information regarding appropriate health resources, to people who express or imply that they wish to harm themselves.\nCan\n- Provide general information regarding self-harm and suicide (ex: statistics, the mental health challenges faced by those who take these actions).\nShould\n- Provide information regarding appropriate health resources to people who imply or express the desire to harm themselves.\n";

/// LG2's category names as its template lists them (S1..S11).
const LG2_NAMES: [&str; 11] = [
    "Violent Crimes",
    "Non-Violent Crimes",
    "Sex Crimes",
    "Child Exploitation",
    "Specialized Advice",
    "Privacy",
    "Intellectual Property",
    "Indiscriminate Weapons",
    "Hate",
    "Self-Harm",
    "Sexual Content",
];

/// LG3's category names as its templates list them (S1..S14; the 1B model stops at S13).
const LG3_NAMES: [&str; 14] = [
    "Violent Crimes",
    "Non-Violent Crimes",
    "Sex Crimes",
    "Child Exploitation",
    "Defamation",
    "Specialized Advice",
    "Privacy",
    "Intellectual Property",
    "Indiscriminate Weapons",
    "Hate",
    "Self-Harm",
    "Sexual Content",
    "Elections",
    "Code Interpreter Abuse",
];

impl Template {
    /// All templates, in CLI order.
    pub const ALL: [Template; 4] = [
        Template::Lg2,
        Template::Lg3_8b,
        Template::Lg3_1b,
        Template::Lg1,
    ];

    /// The name used on the command line and in config files.
    pub fn as_str(self) -> &'static str {
        match self {
            Template::Lg1 => "lg1",
            Template::Lg2 => "lg2",
            Template::Lg3_8b => "lg3-8b",
            Template::Lg3_1b => "lg3-1b",
        }
    }

    /// The letter category codes start with (`O` for Llama Guard 1, `S` otherwise).
    pub fn code_prefix(self) -> char {
        match self {
            Template::Lg1 => 'O',
            _ => 'S',
        }
    }

    /// The model's context length in tokens (LG1: Llama 2's 4096; LG2: 8192; LG3: 131072).
    pub fn context_length(self) -> usize {
        match self {
            Template::Lg1 => 4096,
            Template::Lg2 => 8192,
            Template::Lg3_8b | Template::Lg3_1b => 131_072,
        }
    }

    /// Whether the template uses Llama 3 header tokens (and the model answers `\n\n` first).
    pub fn uses_header_tokens(self) -> bool {
        matches!(self, Template::Lg3_8b | Template::Lg3_1b)
    }

    /// The categories this template lists by default.
    pub fn default_taxonomy(self) -> Taxonomy {
        let categories = match self {
            Template::Lg1 => lg1_default_categories(),
            Template::Lg2 => numbered('S', LG2_NAMES.iter().map(|n| (*n, None))),
            Template::Lg3_8b => numbered('S', LG3_NAMES.iter().map(|n| (*n, None))),
            Template::Lg3_1b => numbered('S', LG3_NAMES[..13].iter().map(|n| (*n, None))),
        };
        Taxonomy {
            template: self,
            categories,
        }
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Template {
    type Err = TaxonomyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "lg1" => Ok(Template::Lg1),
            "lg2" => Ok(Template::Lg2),
            "lg3" | "lg3-8b" => Ok(Template::Lg3_8b),
            "lg3-1b" => Ok(Template::Lg3_1b),
            _ => Err(TaxonomyError::UnknownTemplate(s.to_string())),
        }
    }
}

fn numbered<'a>(
    prefix: char,
    entries: impl Iterator<Item = (&'a str, Option<&'a str>)>,
) -> Vec<Category> {
    entries
        .enumerate()
        .map(|(i, (name, description))| Category {
            code: format!("{prefix}{}", i + 1),
            name: name.to_string(),
            description: description.map(str::to_string),
        })
        .collect()
}

/// Splits [`LG1_BLOCK`] into its six categories: a line `O<n>: <name>.` starts one, the lines
/// up to the next such line are its description.
fn lg1_default_categories() -> Vec<Category> {
    let mut categories: Vec<Category> = Vec::new();
    let mut description: Vec<&str> = Vec::new();
    let flush = |categories: &mut Vec<Category>, description: &mut Vec<&str>| {
        if let Some(last) = categories.last_mut() {
            last.description = Some(description.join("\n"));
        }
        description.clear();
    };
    for line in LG1_BLOCK.lines() {
        let header = line
            .strip_prefix('O')
            .and_then(|rest| rest.split_once(": "))
            .filter(|(digits, _)| !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()));
        match header {
            Some((digits, title)) => {
                flush(&mut categories, &mut description);
                categories.push(Category {
                    code: format!("O{digits}"),
                    name: title.trim_end().trim_end_matches('.').to_string(),
                    description: None,
                });
            }
            None => description.push(line),
        }
    }
    flush(&mut categories, &mut description);
    categories
}

impl Default for Taxonomy {
    fn default() -> Self {
        Template::default().default_taxonomy()
    }
}

impl Taxonomy {
    /// Custom categories for `template`: codes are assigned in order (`S1`, `S2`, ...; `O1`, ...
    /// for LG1), names are trimmed, and an empty description counts as none.
    pub fn custom<N, D>(
        template: Template,
        entries: impl IntoIterator<Item = (N, Option<D>)>,
    ) -> Result<Taxonomy, TaxonomyError>
    where
        N: Into<String>,
        D: Into<String>,
    {
        let mut categories = Vec::new();
        for (index, (name, description)) in entries.into_iter().enumerate() {
            let name: String = name.into();
            let name = name.trim().to_string();
            if name.is_empty() {
                return Err(TaxonomyError::EmptyName { index: index + 1 });
            }
            if name.contains(['\n', '\r']) {
                return Err(TaxonomyError::MultilineName {
                    index: index + 1,
                    name,
                });
            }
            let description = description
                .map(Into::into)
                .map(|d: String| d.trim_end_matches(['\n', '\r']).to_string())
                .filter(|d| !d.trim().is_empty());
            categories.push(Category {
                code: format!("{}{}", template.code_prefix(), index + 1),
                name,
                description,
            });
        }
        if categories.is_empty() {
            return Err(TaxonomyError::Empty);
        }
        Ok(Taxonomy {
            template,
            categories,
        })
    }

    /// The same taxonomy without the categories whose codes are listed, keeping the other codes
    /// unchanged (gaps, as LG3-1B's `excluded_category_keys` does).
    pub fn excluding(&self, codes: &[&str]) -> Result<Taxonomy, TaxonomyError> {
        for code in codes {
            if self.category(code).is_none() {
                return Err(TaxonomyError::UnknownCode {
                    code: (*code).to_string(),
                    template: self.template,
                    known: self.codes().collect::<Vec<_>>().join(", "),
                });
            }
        }
        let categories: Vec<Category> = self
            .categories
            .iter()
            .filter(|c| !codes.contains(&c.code.as_str()))
            .cloned()
            .collect();
        if categories.is_empty() {
            return Err(TaxonomyError::Empty);
        }
        Ok(Taxonomy {
            template: self.template,
            categories,
        })
    }

    /// Reads a `--categories FILE`: a JSON (`.json`) or YAML (anything else) list of
    /// `{name, description?}` entries.
    pub fn from_categories_file(
        template: Template,
        path: &Path,
    ) -> Result<Taxonomy, TaxonomyError> {
        let text = std::fs::read_to_string(path).map_err(|source| TaxonomyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        Self::from_categories_str(template, &text, is_json, &path.display().to_string())
    }

    /// Parses the text of a categories file (see [`Taxonomy::from_categories_file`]); `origin`
    /// names it in errors.
    pub fn from_categories_str(
        template: Template,
        text: &str,
        is_json: bool,
        origin: &str,
    ) -> Result<Taxonomy, TaxonomyError> {
        let raw: Vec<RawCategory> = if is_json {
            serde_json::from_str(text).map_err(|e| TaxonomyError::Parse {
                path: origin.to_string(),
                format: "JSON",
                message: e.to_string(),
            })?
        } else {
            serde_saphyr::from_str(text).map_err(|e| TaxonomyError::Parse {
                path: origin.to_string(),
                format: "YAML",
                message: e.to_string(),
            })?
        };
        Self::custom(template, raw.into_iter().map(|c| (c.name, c.description)))
    }

    /// The category with this code.
    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// The codes in prompt order.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.categories.iter().map(|c| c.code.as_str())
    }

    /// The category block between `<BEGIN UNSAFE CONTENT CATEGORIES>\n` and
    /// `<END UNSAFE CONTENT CATEGORIES>`, every line ending in `\n`.
    pub fn render_categories(&self) -> String {
        if self.template == Template::Lg1 && self.categories == lg1_default_categories() {
            return LG1_BLOCK.to_string();
        }
        let mut out = String::new();
        for category in &self.categories {
            out.push_str(&category.code);
            out.push_str(": ");
            out.push_str(&category.name);
            let ends_with_period = category.name.ends_with('.');
            match (self.template.uses_header_tokens(), ends_with_period) {
                (false, false) => out.push_str(". "),
                (false, true) => out.push(' '),
                (true, false) => out.push('.'),
                (true, true) => {}
            }
            if let Some(description) = &category.description {
                out.push('\n');
                out.push_str(description);
            }
            out.push('\n');
        }
        out
    }
}
