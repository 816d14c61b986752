//! How a plugin's definitions differ from the lock, in words for the log.

use std::fmt;

/// One way a plugin's tools differ from the lock.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// The lock has no entry for the plugin.
    UnknownPlugin,
    /// The plugin serves a tool the lock does not list.
    Added(String),
    /// The lock lists a tool the plugin no longer serves.
    Removed(String),
    /// Parts of a tool's definition changed; `description` is the new
    /// description when it is among them.
    Changed {
        /// The served tool name.
        tool: String,
        /// The parts that differ, e.g. `["description", "input schema"]`.
        parts: Vec<&'static str>,
        /// The new description, if it changed.
        description: Option<String>,
    },
}

/// A lock key as the log names it: `tool \`add\``, `prompt \`greet\``.
struct Label<'a>(&'a str);

impl fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.split_once(':') {
            Some((kind @ ("prompt" | "resource" | "template"), name)) => {
                write!(f, "{kind} `{name}`")
            }
            _ => write!(f, "tool `{}`", self.0),
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownPlugin => write!(f, "the plugin is not in the lock"),
            Self::Added(key) => write!(f, "{} is new", Label(key)),
            Self::Removed(key) => write!(f, "{} is gone", Label(key)),
            Self::Changed {
                tool,
                parts,
                description,
            } => {
                write!(f, "{}: {} changed", Label(tool), parts.join(", "))?;
                match description {
                    Some(now) => write!(f, " (the description is now {now:?})"),
                    None => Ok(()),
                }
            }
        }
    }
}
