//! The one door to ambient state: environment variables, the home directory and the clock.
//!
//! Everything that depends on the environment takes `&dyn Env`, so tests can run on a fixed
//! clock with a made-up environment.

#[cfg(test)]
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;

use jiff::Timestamp;

pub trait Env: Sync {
    /// An environment variable, if it is set (empty values count as set).
    fn var_os(&self, name: &str) -> Option<OsString>;
    /// The user's home directory.
    fn home(&self) -> Option<PathBuf>;
    /// The wall clock.
    fn now(&self) -> Timestamp;

    /// An environment variable as UTF-8 text; unset, empty or non-UTF-8 values are `None`.
    fn var(&self, name: &str) -> Option<String> {
        self.var_os(name)
            .and_then(|v| v.into_string().ok())
            .filter(|v| !v.is_empty())
    }
}

/// A made-up environment for unit tests.
#[cfg(test)]
#[derive(Debug, Clone)]
pub(crate) struct FakeEnv {
    pub vars: HashMap<String, OsString>,
    pub home: Option<PathBuf>,
    pub now: Timestamp,
}

#[cfg(test)]
impl FakeEnv {
    #[must_use]
    pub(crate) fn new(home: impl Into<PathBuf>, now: Timestamp) -> Self {
        Self {
            vars: HashMap::new(),
            home: Some(home.into()),
            now,
        }
    }
    #[must_use]
    pub(crate) fn with(mut self, name: &str, value: impl Into<OsString>) -> Self {
        self.vars.insert(name.to_owned(), value.into());
        self
    }
}

#[cfg(test)]
impl Env for FakeEnv {
    fn var_os(&self, name: &str) -> Option<OsString> {
        self.vars.get(name).cloned()
    }
    fn home(&self) -> Option<PathBuf> {
        self.home.clone()
    }
    fn now(&self) -> Timestamp {
        self.now
    }
}

/// `<home>/<rel>`, or `~/<rel>` when there is no home.
#[must_use]
pub(crate) fn home_path(env: &dyn Env, rel: &str) -> PathBuf {
    let home = env.home().unwrap_or_else(|| PathBuf::from("~"));
    if std::path::MAIN_SEPARATOR == '/' {
        home.join(rel)
    } else {
        // Component by component, so Windows paths get `\` throughout.
        rel.split('/').fold(home, |p, c| p.join(c))
    }
}
