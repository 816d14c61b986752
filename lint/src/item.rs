//! The lint's input: one plugin's definitions as plain data.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

/// What kind of definition an [`Item`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A tool (`tools/list`).
    Tool,
    /// A resource (`resources/list`).
    Resource,
    /// A resource template (`resources/templates/list`).
    Template,
    /// A prompt (`prompts/list`).
    Prompt,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Tool => "tool",
            Self::Resource => "resource",
            Self::Template => "template",
            Self::Prompt => "prompt",
        })
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "tool" => Ok(Self::Tool),
            "resource" => Ok(Self::Resource),
            "template" => Ok(Self::Template),
            "prompt" => Ok(Self::Prompt),
            _ => Err(format!(
                "`{text}` is not a kind of item: tool, resource, template or prompt"
            )),
        }
    }
}

/// One text a model reads, and where it is in its item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// A JSON-Pointer-like path in the item, e.g. `description` or
    /// `inputSchema/properties/note/description`.
    pub place: String,
    /// The text, as served.
    pub value: String,
    /// Prose (a title, a description, a schema's string values), where
    /// `\n` and `\t` are allowed; `false` for names, keys, URIs and MIME
    /// types, where no control character is.
    pub prose: bool,
}

impl Text {
    /// Whether this is a description (the length rule's subject).
    pub fn is_description(&self) -> bool {
        self.place == "description" || self.place.ends_with("/description")
    }
}

/// A parameter the model fills in: a schema property or a prompt argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Where it is, e.g. `inputSchema/properties/note`.
    pub place: String,
    /// Its name.
    pub name: String,
    /// What it asks the model for: its description and title.
    pub asks: String,
}

/// One definition: its kind, its served name, and every text a model reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Tool, resource, template or prompt.
    pub kind: Kind,
    /// Its served name (a resource's URI, a template's URI template).
    pub name: String,
    /// Every text, with its place.
    pub texts: Vec<Text>,
    /// Every parameter, with what it asks for.
    pub params: Vec<Param>,
}

impl Item {
    /// An item with no texts yet.
    pub fn new(kind: Kind, name: impl Into<String>) -> Self {
        Self {
            kind,
            name: name.into(),
            texts: Vec::new(),
            params: Vec::new(),
        }
    }

    /// Adds a name, key, URI or MIME type at `place`.
    pub fn name_text(mut self, place: &str, value: &str) -> Self {
        self.push(place.to_owned(), value, false);
        self
    }

    /// Adds a title or description at `place`, if there is one.
    pub fn prose(mut self, place: &str, value: Option<&str>) -> Self {
        if let Some(value) = value {
            self.push(place.to_owned(), value, true);
        }
        self
    }

    /// Adds a prompt argument (or any parameter outside a schema): its
    /// name and description, at `place`.
    pub fn param(mut self, place: &str, name: &str, description: Option<&str>) -> Self {
        self.push(format!("{place}/name"), name, false);
        if let Some(description) = description {
            self.push(format!("{place}/description"), description, true);
        }
        self.params.push(Param {
            place: place.to_owned(),
            name: name.to_owned(),
            asks: description.unwrap_or_default().to_owned(),
        });
        self
    }

    /// Adds every string of a JSON Schema at `place` (e.g. `inputSchema`):
    /// each key (property names among them) and each string value, however
    /// deep (`$defs`, `items`, `anyOf`...), since a client may show the
    /// model the whole schema; and each property as a [`Param`].
    pub fn schema(mut self, place: &str, schema: &Value) -> Self {
        // A stack, not recursion: a schema built in memory may nest deeper
        // than any stack.
        let mut stack = vec![(place.to_owned(), schema)];
        while let Some((place, value)) = stack.pop() {
            match value {
                Value::String(text) => self.push(place, text, true),
                Value::Array(values) => {
                    for (i, value) in values.iter().enumerate().rev() {
                        stack.push((format!("{place}/{i}"), value));
                    }
                }
                Value::Object(map) => {
                    for (key, value) in map.iter().rev() {
                        let inner = format!("{place}/{}", pointer_escape(key));
                        if key == "properties"
                            && let Value::Object(properties) = value
                        {
                            for (name, property) in properties {
                                let place = format!("{inner}/{}", pointer_escape(name));
                                self.params.push(Param {
                                    place,
                                    name: name.clone(),
                                    asks: asks(property),
                                });
                            }
                        }
                        self.push(inner.clone(), key, false);
                        stack.push((inner, value));
                    }
                }
                Value::Null | Value::Bool(_) | Value::Number(_) => {}
            }
        }
        self
    }

    fn push(&mut self, place: String, value: &str, prose: bool) {
        self.texts.push(Text {
            place,
            value: value.to_owned(),
            prose,
        });
    }
}

/// What a schema property asks for: its description and title.
fn asks(property: &Value) -> String {
    ["description", "title"]
        .iter()
        .filter_map(|key| property.get(key).and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `key` as a JSON Pointer segment (`~` and `/` escaped).
fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}
