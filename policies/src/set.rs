//! The compiled, immutable policy set and route selection.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use globset::GlobMatcher;
use http::HeaderMap;
use sha2::{Digest, Sha256};

use crate::policy::{Action, Policy};

/// What the router knows about a request when it picks a policy.
#[derive(Debug, Clone, Copy)]
pub struct RouteInfo<'a> {
    pub path: &'a str,
    /// The `model` field of the request body, when the API has one.
    pub model: Option<&'a str>,
    /// SHA-256 hex (lower case) of the bearer API key, when one was sent; see
    /// [`api_key_sha256`].
    pub api_key_sha256: Option<&'a str>,
    pub headers: &'a HeaderMap,
}

/// The lower-case SHA-256 hex of an API key, as written in `api_key_sha256:` route conditions.
pub fn api_key_sha256(api_key: &str) -> String {
    hex::encode(Sha256::digest(api_key.as_bytes()))
}

/// A glob together with its source text.
#[derive(Debug, Clone)]
pub struct Glob {
    pub pattern: String,
    pub(crate) matcher: GlobMatcher,
}

impl Glob {
    pub fn is_match(&self, text: &str) -> bool {
        self.matcher.is_match(text)
    }
}

/// One compiled route; all given conditions must hold.
#[derive(Debug, Clone)]
pub struct Route {
    pub name: Option<String>,
    pub path: Option<Glob>,
    pub model: Option<Glob>,
    pub api_key_sha256: Option<String>,
    /// Lower-case header name and value glob.
    pub header: Option<(String, Glob)>,
    pub policy: Arc<Policy>,
    /// `file:line` of the route, for `explain`.
    pub source: String,
}

impl Route {
    pub fn matches(&self, info: &RouteInfo<'_>) -> bool {
        self.path.as_ref().is_none_or(|g| g.is_match(info.path))
            && self
                .model
                .as_ref()
                .is_none_or(|g| info.model.is_some_and(|m| g.is_match(m)))
            && self.api_key_sha256.as_ref().is_none_or(|want| {
                info.api_key_sha256
                    .is_some_and(|got| got.eq_ignore_ascii_case(want))
            })
            && self.header.as_ref().is_none_or(|(name, glob)| {
                info.headers
                    .get_all(name.as_str())
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .any(|v| glob.is_match(v))
            })
    }

    /// The conditions, human readable (`path /v1/* and model llama3*`).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(g) = &self.path {
            parts.push(format!("path {}", g.pattern));
        }
        if let Some(g) = &self.model {
            parts.push(format!("model {}", g.pattern));
        }
        if let Some(k) = &self.api_key_sha256 {
            parts.push(format!("api key sha256 {k}"));
        }
        if let Some((n, g)) = &self.header {
            parts.push(format!("header {n}: {}", g.pattern));
        }
        parts.join(" and ")
    }
}

/// What a policy test feeds in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestSample {
    /// A user prompt, judged as the user's turn.
    Prompt(String),
    /// An assistant response (optionally with the prompt it answers), judged as the agent's
    /// turn.
    Response {
        prompt: Option<String>,
        response: String,
    },
    /// A code block, scanned only.
    Code { code: String, language: String },
}

/// One compiled policy test.
#[derive(Debug, Clone)]
pub struct PolicyTest {
    pub name: String,
    pub policy: Arc<Policy>,
    pub sample: TestSample,
    pub expect: Action,
    /// Category ids (guard) or rule ids (code) that must be among the hits.
    pub hits: Vec<String>,
    /// `file:line` of the test.
    pub source: String,
}

/// Every policy of a directory, compiled and checked. Immutable: a reload builds a new set and
/// swaps it in; requests keep the `Arc` they started with.
#[derive(Debug, Clone)]
pub struct PolicySet {
    /// Content hash (12 hex digits) of every file, appears as `name@version`.
    pub version: String,
    pub policies: BTreeMap<String, Arc<Policy>>,
    pub routes: Vec<Route>,
    pub default_policy: Arc<Policy>,
    pub tests: Vec<PolicyTest>,
    /// The files the set was built from, relative to its directory, in load order.
    pub files: Vec<PathBuf>,
}

/// Which policy was selected and why.
#[derive(Debug, Clone)]
pub struct Selection<'a> {
    pub policy: Arc<Policy>,
    /// Index into `routes` of the matching route; `None` means the default policy.
    pub route: Option<(usize, &'a Route)>,
}

impl PolicySet {
    /// The policy for a request: the first route that matches, else the default policy.
    pub fn select(&self, info: &RouteInfo<'_>) -> Arc<Policy> {
        self.select_explained(info).policy
    }

    /// Like [`PolicySet::select`], also naming the route that matched.
    pub fn select_explained(&self, info: &RouteInfo<'_>) -> Selection<'_> {
        match self
            .routes
            .iter()
            .enumerate()
            .find(|(_, r)| r.matches(info))
        {
            Some((i, r)) => Selection {
                policy: Arc::clone(&r.policy),
                route: Some((i, r)),
            },
            None => Selection {
                policy: Arc::clone(&self.default_policy),
                route: None,
            },
        }
    }

    /// A policy by name.
    pub fn policy(&self, name: &str) -> Option<&Arc<Policy>> {
        self.policies.get(name)
    }
}
