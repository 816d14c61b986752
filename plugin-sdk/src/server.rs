//! A whole MCP server: tools, resources, templates, prompts and completion,
//! and the dispatch of the WIT exports to them.

use std::collections::BTreeMap;
use std::fmt;

use crate::{
    Completion, CompletionTarget, Prompt, PromptDescription, PromptResult, ReadError, Resource,
    ResourceContents, ResourceDescription, Template, TemplateDescription, Tool, ToolDescription,
    ToolResult,
};

/// The most values one completion may carry (MCP's limit).
const MAX_COMPLETIONS: usize = 100;

/// The arguments already chosen when a completion is asked for, by name.
type Context = BTreeMap<String, String>;

type Completer = Box<dyn Fn(&CompletionTarget, &str, &str, &Context) -> Vec<String>>;

/// Everything a plugin serves, built up with [`Server::tool`],
/// [`Server::resource`], [`Server::template`], [`Server::prompt`] and
/// [`Server::completion`], and exported with [`export!`](crate::export).
///
/// ```
/// use moat_plugin_sdk::{
///     CompletionTarget, Content, NoArguments, Prompt, PromptMessage, ReadError, Resource, Server,
///     Tool,
/// };
///
/// fn server() -> Server {
///     Server::new()
///         .tool(Tool::new("roll", "Roll a die", |_: NoArguments| {
///             Ok::<_, String>(Content::text("4"))
///         }))
///         .resource(
///             Resource::new("dice://rules", "rules", || Ok::<_, ReadError>("Roll, then add."))
///                 .mime_type("text/plain"),
///         )
///         .prompt(
///             Prompt::new("play", "Play a game", |args: std::collections::BTreeMap<String, String>| {
///                 Ok::<_, String>(vec![PromptMessage::user(format!("Let's play {}.", args["game"]))])
///             })
///             .argument("game", "The game to play", true),
///         )
///         .completion(|target, argument, value, _context| match (target, argument) {
///             (CompletionTarget::Prompt(prompt), "game") if prompt == "play" => ["chess", "go"]
///                 .into_iter()
///                 .filter(|game| game.starts_with(value))
///                 .map(String::from)
///                 .collect(),
///             _ => Vec::new(),
///         })
/// }
///
/// moat_plugin_sdk::export!(server);
/// # fn main() {
/// let completion = server().complete(&CompletionTarget::Prompt("play".into()), "game", "c", "{}");
/// assert_eq!(completion.values, ["chess"]);
/// # }
/// ```
///
/// The methods after the builders run the server as the host does, one per
/// WIT export, so that a plugin's tests can call them natively.
#[derive(Default)]
pub struct Server {
    tools: Vec<Tool>,
    resources: Vec<Resource>,
    templates: Vec<Template>,
    prompts: Vec<Prompt>,
    completion: Option<Completer>,
}

impl Server {
    /// A server with nothing to serve yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tool; `tools/list` shows them in the order added.
    pub fn tool(mut self, tool: Tool) -> Self {
        self.tools.push(tool);
        self
    }

    /// Adds a resource at a fixed URI.
    pub fn resource(mut self, resource: Resource) -> Self {
        self.resources.push(resource);
        self
    }

    /// Adds a resource template. A URI that is not one of the resources is
    /// read by the first template that matches it.
    pub fn template(mut self, template: Template) -> Self {
        self.templates.push(template);
        self
    }

    /// Adds a prompt.
    pub fn prompt(mut self, prompt: Prompt) -> Self {
        self.prompts.push(prompt);
        self
    }

    /// Suggests values for the arguments of prompts and resource templates:
    /// `complete(target, argument, value, context)` gets what is being
    /// completed (a prompt by name, or a template by its URI template), the
    /// argument's name, what the user has typed so far, and the arguments
    /// already chosen; it returns the suggestions, best first. The client
    /// gets the first 100. Without it, every completion is empty.
    pub fn completion<F>(mut self, complete: F) -> Self
    where
        F: Fn(&CompletionTarget, &str, &str, &BTreeMap<String, String>) -> Vec<String> + 'static,
    {
        self.completion = Some(Box::new(complete));
        self
    }

    /// `tools/list`: every tool, in order (WIT `tools.describe`).
    ///
    /// # Panics
    ///
    /// As [`describe`](crate::describe) does.
    pub fn describe_tools(&self) -> Vec<ToolDescription> {
        crate::describe(&self.tools)
    }

    /// `tools/call` (WIT `tools.call`): see [`call`](crate::call).
    pub fn call_tool(&self, name: &str, arguments: &str) -> ToolResult {
        crate::call(&self.tools, name, arguments)
    }

    /// `resources/list` (WIT `resources.list`).
    ///
    /// # Panics
    ///
    /// If two resources share a URI.
    pub fn list_resources(&self) -> Vec<ResourceDescription> {
        unique(
            self.resources.iter().map(Resource::uri),
            "resources have the URI",
        );
        self.resources.iter().map(Resource::describe).collect()
    }

    /// `resources/templates/list` (WIT `resources.templates`).
    ///
    /// # Panics
    ///
    /// If two templates are the same, or one is not a simple template (see
    /// [`Template::describe`]).
    pub fn list_templates(&self) -> Vec<TemplateDescription> {
        unique(
            self.templates.iter().map(Template::uri_template),
            "resource templates are",
        );
        self.templates.iter().map(Template::describe).collect()
    }

    /// `resources/read` (WIT `resources.read`): the resource at `uri`, else
    /// the first template that matches it, else [`ReadError::NotFound`].
    pub fn read_resource(&self, uri: &str) -> Result<Vec<ResourceContents>, ReadError> {
        if let Some(resource) = self.resources.iter().find(|r| r.uri() == uri) {
            return resource.read();
        }
        self.templates
            .iter()
            .find_map(|template| template.read(uri))
            .unwrap_or(Err(ReadError::NotFound))
    }

    /// `prompts/list` (WIT `prompts.list`).
    ///
    /// # Panics
    ///
    /// If two prompts share a name.
    pub fn list_prompts(&self) -> Vec<PromptDescription> {
        unique(self.prompts.iter().map(Prompt::name), "prompts are named");
        self.prompts.iter().map(Prompt::describe).collect()
    }

    /// `prompts/get` (WIT `prompts.get`): the prompt `name` filled in from
    /// `arguments` (JSON text), or a message saying why not, e.g.
    /// ``unknown prompt `NAME` ``.
    pub fn get_prompt(&self, name: &str, arguments: &str) -> Result<PromptResult, String> {
        match self.prompts.iter().find(|p| p.name() == name) {
            Some(prompt) => prompt.get(arguments),
            None => Err(format!("unknown prompt `{name}`")),
        }
    }

    /// `completion/complete` (WIT `completion.complete`); `context` is JSON
    /// text, an object of strings (anything else counts as `{}`).
    pub fn complete(
        &self,
        target: &CompletionTarget,
        argument: &str,
        value: &str,
        context: &str,
    ) -> Completion {
        let Some(complete) = &self.completion else {
            return Completion {
                values: Vec::new(),
                total: None,
                has_more: false,
            };
        };
        let context: Context = serde_json::from_str(context).unwrap_or_default();
        let mut values = complete(target, argument, value, &context);
        let total = values.len();
        values.truncate(MAX_COMPLETIONS);
        Completion {
            values,
            total: Some(u32::try_from(total).unwrap_or(u32::MAX)),
            has_more: total > MAX_COMPLETIONS,
        }
    }
}

/// Panics if `keys` holds a key twice: `"moat-plugin-sdk: two {what} `KEY`"`.
fn unique<'a>(keys: impl Iterator<Item = &'a str>, what: &str) {
    let mut seen = std::collections::BTreeSet::new();
    for key in keys {
        assert!(seen.insert(key), "moat-plugin-sdk: two {what} `{key}`");
    }
}

/// A plugin's tools alone: a server with no resources, prompts or
/// completions. This is what lets `export!(tools)` take a
/// `fn() -> Vec<Tool>`.
impl From<Vec<Tool>> for Server {
    fn from(tools: Vec<Tool>) -> Self {
        Self {
            tools,
            ..Self::default()
        }
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("tools", &self.tools)
            .field("resources", &self.resources)
            .field("templates", &self.templates)
            .field("prompts", &self.prompts)
            .field("completion", &self.completion.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Content, NoArguments, PromptMessage, ResourceBody};

    fn server() -> Server {
        Server::new()
            .tool(Tool::new("hi", "Say hi", |_: NoArguments| {
                Ok::<_, String>(Content::text("hi"))
            }))
            .resource(Resource::new("a://one", "one", || Ok("1")))
            .template(Template::new("a://{n}", "any", |v: Context| {
                Ok::<_, ReadError>(v["n"].clone())
            }))
            .prompt(Prompt::new("p", "A prompt", |_: NoArguments| {
                Ok::<_, String>(vec![PromptMessage::user("go")])
            }))
    }

    #[test]
    fn tools_only_is_a_server_with_nothing_else() {
        let server = Server::from(vec![Tool::new("hi", "Say hi", |_: NoArguments| {
            Ok::<_, String>(Content::text("hi"))
        })]);
        assert_eq!(server.describe_tools().len(), 1);
        assert!(server.list_resources().is_empty());
        assert!(server.list_templates().is_empty());
        assert!(server.list_prompts().is_empty());
        assert_eq!(server.read_resource("a://one"), Err(ReadError::NotFound));
        assert_eq!(
            server.get_prompt("p", "{}").unwrap_err(),
            "unknown prompt `p`"
        );
        let completion = server.complete(&CompletionTarget::Prompt("p".into()), "x", "", "{}");
        assert_eq!(
            completion,
            Completion {
                values: Vec::new(),
                total: None,
                has_more: false
            }
        );
    }

    #[test]
    fn resources_come_before_templates() {
        let server = server();
        let body = |uri| server.read_resource(uri).map(|c| c[0].body.clone());
        assert_eq!(body("a://one"), Ok(ResourceBody::Text("1".into())));
        assert_eq!(body("a://two"), Ok(ResourceBody::Text("two".into())));
        assert_eq!(body("b://two"), Err(ReadError::NotFound));
        assert_eq!(server.list_resources()[0].uri, "a://one");
        assert_eq!(server.list_templates()[0].uri_template, "a://{n}");
    }

    #[test]
    fn prompts_dispatch_by_name() {
        let result = server().get_prompt("p", "").unwrap();
        assert_eq!(result.messages, [PromptMessage::user("go")]);
        assert_eq!(server().list_prompts()[0].name, "p");
    }

    #[test]
    fn completions_are_capped_at_100() {
        let server = server().completion(|_, _, value, context| {
            let n = context.get("n").map_or(0, |n| n.parse().unwrap());
            (0..n).map(|i| format!("{value}{i}")).collect()
        });
        let target = CompletionTarget::ResourceTemplate("a://{n}".into());
        let few = server.complete(&target, "n", "x", r#"{"n": "3"}"#);
        assert_eq!(few.values, ["x0", "x1", "x2"]);
        assert_eq!((few.total, few.has_more), (Some(3), false));
        let many = server.complete(&target, "n", "", r#"{"n": "150"}"#);
        assert_eq!(many.values.len(), 100);
        assert_eq!((many.total, many.has_more), (Some(150), true));
        assert!(
            server
                .complete(&target, "n", "", "not json")
                .values
                .is_empty()
        );
    }

    #[test]
    #[should_panic(expected = "two resources have the URI `a://one`")]
    fn duplicate_resources_are_refused() {
        server()
            .resource(Resource::new("a://one", "again", || Ok("1")))
            .list_resources();
    }

    #[test]
    #[should_panic(expected = "two prompts are named `p`")]
    fn duplicate_prompts_are_refused() {
        server()
            .prompt(Prompt::new("p", "Again", |_: NoArguments| {
                Ok::<_, String>(Vec::new())
            }))
            .list_prompts();
    }
}
