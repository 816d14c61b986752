//! What a request asks to use: a tool, a resource (or resource template)
//! or a prompt, each served by one plugin; the action follows from it.

/// What a request asks to use, and the plugin that serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// `tools/call` (and `tools/list`): `Moat::Tool::"<served name>"`.
    Tool {
        /// The tool's name as served.
        name: &'a str,
        /// The plugin that serves it.
        plugin: &'a str,
    },
    /// `resources/read` (and the resource lists, and completion of a
    /// template's arguments): `Moat::Resource::"<uri or uri template>"`.
    Resource {
        /// The resource's URI, or a template's URI template.
        uri: &'a str,
        /// The plugin that serves it.
        plugin: &'a str,
    },
    /// `prompts/get` (and `prompts/list`, and completion of a prompt's
    /// arguments): `Moat::Prompt::"<name>"`.
    Prompt {
        /// The prompt's name.
        name: &'a str,
        /// The plugin that serves it.
        plugin: &'a str,
    },
}

/// The Cedar action a target is used through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `Moat::Action::"call_tool"`.
    CallTool,
    /// `Moat::Action::"read_resource"`.
    ReadResource,
    /// `Moat::Action::"get_prompt"`.
    GetPrompt,
}

impl Action {
    /// The action's Cedar id.
    pub fn id(self) -> &'static str {
        match self {
            Self::CallTool => "call_tool",
            Self::ReadResource => "read_resource",
            Self::GetPrompt => "get_prompt",
        }
    }
}

impl Target<'_> {
    /// The action this target is used through.
    pub fn action(&self) -> Action {
        match self {
            Self::Tool { .. } => Action::CallTool,
            Self::Resource { .. } => Action::ReadResource,
            Self::Prompt { .. } => Action::GetPrompt,
        }
    }

    /// The entity type (`Tool`, `Resource`, `Prompt`), its id, the name of
    /// its one attribute and the plugin.
    pub(crate) fn parts(&self) -> (&'static str, &str, &'static str, &str) {
        match *self {
            Self::Tool { name, plugin } => ("Tool", name, "name", plugin),
            Self::Resource { uri, plugin } => ("Resource", uri, "uri", plugin),
            Self::Prompt { name, plugin } => ("Prompt", name, "name", plugin),
        }
    }
}
