#![doc = include_str!("../README.md")]

// The generated bindings and the `export!` macro name this crate by its
// public name, so that the same paths work here and in a plugin crate.
extern crate self as moat_plugin_sdk;

mod args;
pub mod client;
mod content;
mod log;
mod prompt;
mod resource;
mod result;
mod schema;
mod server;
mod tool;
mod uri_template;

pub use args::NoArguments;
pub use log::log;
pub use prompt::Prompt;
pub use resource::{Resource, Template};
pub use result::{ToolError, ToolOutput};
pub use server::Server;
pub use tool::Tool;

pub use bindings::moat::plugin::host::Level;
/// A prompt as [`Server::list_prompts`] reports it: the WIT `prompt` record.
pub use bindings::moat::plugin::server_types::Prompt as PromptDescription;
/// A resource as [`Server::list_resources`] reports it: the WIT `resource`
/// record.
pub use bindings::moat::plugin::server_types::Resource as ResourceDescription;
/// A resource template as [`Server::list_templates`] reports it: the WIT
/// `resource-template` record.
pub use bindings::moat::plugin::server_types::ResourceTemplate as TemplateDescription;
pub use bindings::moat::plugin::server_types::{
    Completion, CompletionTarget, PromptArgument, PromptMessage, PromptResult, ReadError,
    ResourceContents, Role,
};
/// A tool as [`describe`] reports it to the host: the WIT `tool` record.
pub use bindings::moat::plugin::types::Tool as ToolDescription;
pub use bindings::moat::plugin::types::{
    Annotations, Blob, Content, EmbeddedResource, ResourceBody, ResourceLink, ToolResult,
};

/// The version of `schemars` whose `JsonSchema` derive the SDK reads.
pub use schemars;
/// The version of `serde` the SDK decodes arguments and encodes results with.
pub use serde;
/// The version of `serde_json` the SDK uses, for tools that build JSON by hand.
pub use serde_json;
#[doc(hidden)]
pub use wit_bindgen;

/// The guest bindings of the `moat:plugin/server` world, generated from
/// `wit/plugin.wit`, for what the SDK does not wrap.
///
/// Most plugins need nothing from here: [`Server`], [`Tool`] and [`export!`]
/// cover the exported interfaces, [`log`] the `host` one and [`client`] the
/// `client` one.
#[allow(missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "server",
        path: "../wit",
        additional_derives: [PartialEq],
        pub_export_macro: true,
        default_bindings_module: "moat_plugin_sdk::bindings",
        runtime_path: "moat_plugin_sdk::wit_bindgen::rt",
    });
}

/// Describes every tool, in order, as the WIT `describe` function returns them.
///
/// This is what [`export!`] calls (through [`Server::describe_tools`]); it is
/// public so that a plugin's own tests can check its schemas natively.
///
/// # Panics
///
/// If two tools share a name, or a tool's input type is not a JSON object
/// (see [`Tool::new`]). Both are mistakes in the plugin, so they stop it
/// from loading rather than reach a client.
pub fn describe(tools: &[Tool]) -> Vec<ToolDescription> {
    // A set, not a scan of the tools before each: linear in the number of
    // tools, so a large plugin does not spend its load budget here.
    let mut seen = std::collections::HashSet::with_capacity(tools.len());
    for tool in tools {
        let name = tool.name();
        assert!(
            seen.insert(name),
            "moat-plugin-sdk: two tools are named `{name}`"
        );
    }
    tools.iter().map(Tool::describe).collect()
}

/// Runs the tool called `name` on `arguments` (JSON text), as the WIT `call`
/// function does.
///
/// Every failure is a result with `is_error` set, never a panic: an unknown
/// name gives ``unknown tool `NAME` ``, bad arguments give
/// `invalid arguments: ...`, and a tool's `Err` gives its message.
pub fn call(tools: &[Tool], name: &str, arguments: &str) -> ToolResult {
    match tools.iter().find(|t| t.name() == name) {
        Some(tool) => tool.call(arguments),
        None => result::error(format!("unknown tool `{name}`")),
    }
}

/// Exports a plugin as the component's `moat:plugin` interfaces (`tools`,
/// `resources`, `prompts` and `completion`).
///
/// Give it a function that returns either the tools, `fn() -> Vec<Tool>`, or
/// a whole [`Server`], `fn() -> Server`; a plugin with tools only serves no
/// resources, no prompts and no completions. The function runs once for
/// every call the host makes (each in a fresh instance), so it should only
/// build the lists. Use it once per plugin, at the top level of the crate:
///
/// ```
/// use moat_plugin_sdk::Tool;
///
/// fn tools() -> Vec<Tool> {
///     vec![Tool::new("echo", "Echo the text back", |text: Text| Ok::<_, String>(text))]
/// }
///
/// moat_plugin_sdk::export!(tools);
/// # #[derive(serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
/// # struct Text { text: String }
/// # fn main() {}
/// ```
///
/// or, for a server with more than tools:
///
/// ```
/// use moat_plugin_sdk::{Content, NoArguments, PromptMessage, Prompt, Server, Tool};
///
/// fn server() -> Server {
///     Server::new()
///         .tool(Tool::new("hello", "Say hello", |_: NoArguments| {
///             Ok::<_, String>(Content::text("Hello!"))
///         }))
///         .prompt(Prompt::new("greet", "Greet the user", |_: NoArguments| {
///             Ok::<_, String>(vec![PromptMessage::user("Say hello to me.")])
///         }))
/// }
///
/// moat_plugin_sdk::export!(server);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! export {
    ($server:path) => {
        const _: () = {
            struct MoatPlugin;

            fn __moat_server() -> $crate::Server {
                $crate::Server::from($server())
            }

            impl $crate::bindings::exports::moat::plugin::tools::Guest for MoatPlugin {
                fn describe() -> ::std::vec::Vec<$crate::ToolDescription> {
                    __moat_server().describe_tools()
                }

                fn call(
                    name: ::std::string::String,
                    arguments: ::std::string::String,
                ) -> $crate::ToolResult {
                    __moat_server().call_tool(&name, &arguments)
                }
            }

            impl $crate::bindings::exports::moat::plugin::resources::Guest for MoatPlugin {
                fn list() -> ::std::vec::Vec<$crate::ResourceDescription> {
                    __moat_server().list_resources()
                }

                fn templates() -> ::std::vec::Vec<$crate::TemplateDescription> {
                    __moat_server().list_templates()
                }

                fn read(
                    uri: ::std::string::String,
                ) -> ::std::result::Result<
                    ::std::vec::Vec<$crate::ResourceContents>,
                    $crate::ReadError,
                > {
                    __moat_server().read_resource(&uri)
                }
            }

            impl $crate::bindings::exports::moat::plugin::prompts::Guest for MoatPlugin {
                fn list() -> ::std::vec::Vec<$crate::PromptDescription> {
                    __moat_server().list_prompts()
                }

                fn get(
                    name: ::std::string::String,
                    arguments: ::std::string::String,
                ) -> ::std::result::Result<$crate::PromptResult, ::std::string::String> {
                    __moat_server().get_prompt(&name, &arguments)
                }
            }

            impl $crate::bindings::exports::moat::plugin::completion::Guest for MoatPlugin {
                fn complete(
                    target: $crate::CompletionTarget,
                    argument: ::std::string::String,
                    value: ::std::string::String,
                    context: ::std::string::String,
                ) -> $crate::Completion {
                    __moat_server().complete(&target, &argument, &value, &context)
                }
            }

            $crate::__export_server_impl! { MoatPlugin with_types_in $crate::bindings }
        };
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tools() -> Vec<Tool> {
        vec![
            Tool::new("id", "Return the number", |n: Number| Ok::<_, String>(n)),
            Tool::new("neg", "Negate the number", |n: Number| {
                Ok::<_, String>(Number { n: -n.n })
            }),
        ]
    }

    #[derive(serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
    struct Number {
        n: i64,
    }

    #[test]
    fn describe_lists_every_tool_in_order() {
        let names: Vec<_> = describe(&tools()).into_iter().map(|t| t.name).collect();
        assert_eq!(names, ["id", "neg"]);
    }

    #[test]
    fn call_dispatches_by_name() {
        let result = call(&tools(), "neg", r#"{"n": 5}"#);
        assert_eq!(result.structured.as_deref(), Some(r#"{"n":-5}"#));
    }

    #[test]
    fn unknown_tool_is_an_error_result() {
        let result = call(&tools(), "nope", "{}");
        assert!(result.is_error);
        assert_eq!(
            result.content,
            [Content::Text("unknown tool `nope`".into())]
        );
    }

    #[test]
    #[should_panic(expected = "two tools are named `id`")]
    fn duplicate_names_are_refused() {
        let mut tools = tools();
        tools.push(Tool::new("id", "Again", |n: Number| Ok::<_, String>(n)));
        describe(&tools);
    }
}
