//! How a plugin differs from the lock, in words for the log.

use std::fmt;

use super::entry::Source;

/// One way a plugin differs from the lock.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// The lock has no entry for the plugin.
    UnknownPlugin,
    /// The component's bytes are not the ones locked: a swapped file, or a
    /// new version pulled from a moved tag.
    Component {
        /// The locked SHA-256, `sha256:HEX`.
        locked: String,
        /// The SHA-256 of the component found.
        found: String,
        /// Where the locked component was pulled from, if it was.
        source: Option<Source>,
    },
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
            Self::Component {
                locked,
                found,
                source,
            } => {
                write!(
                    f,
                    "the component is not the one locked: its SHA-256 is {found}, the lock's {locked}"
                )?;
                match source {
                    Some(source) => write!(
                        f,
                        " (pulled from {} at {})",
                        source.reference, source.digest
                    ),
                    None => Ok(()),
                }
            }
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
