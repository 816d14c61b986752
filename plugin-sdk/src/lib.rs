#![doc = include_str!("../README.md")]

// The generated bindings and the `export!` macro name this crate by its
// public name, so that the same paths work here and in a plugin crate.
extern crate self as moat_plugin_sdk;

mod args;
mod log;
mod result;
mod schema;
mod tool;

pub use log::log;
pub use result::ToolError;
pub use tool::Tool;

pub use bindings::moat::plugin::host::Level;
/// A tool as [`describe`] reports it to the host: the WIT `tool` record.
pub use bindings::moat::plugin::types::Tool as ToolDescription;
pub use bindings::moat::plugin::types::{Annotations, Content, ToolResult};

/// The version of `schemars` whose `JsonSchema` derive the SDK reads.
pub use schemars;
/// The version of `serde` the SDK decodes arguments and encodes results with.
pub use serde;
/// The version of `serde_json` the SDK uses, for tools that build JSON by hand.
pub use serde_json;
#[doc(hidden)]
pub use wit_bindgen;

/// The guest bindings of the `moat:plugin/plugin` world, generated from
/// `wit/plugin.wit`, for what the SDK does not wrap.
///
/// Most plugins need nothing from here: [`Tool`] and [`export!`] cover the
/// `tools` interface, [`log`] the `host` one.
#[allow(missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "plugin",
        path: "../wit",
        additional_derives: [PartialEq],
        pub_export_macro: true,
        default_bindings_module: "moat_plugin_sdk::bindings",
        runtime_path: "moat_plugin_sdk::wit_bindgen::rt",
    });
}

/// Describes every tool, in order, as the WIT `describe` function returns them.
///
/// This is what [`export!`] calls; it is public so that a plugin's own tests
/// can check its schemas natively.
///
/// # Panics
///
/// If two tools share a name, or a tool's input type is not a JSON object
/// (see [`Tool::new`]). Both are mistakes in the plugin, so they stop it
/// from loading rather than reach a client.
pub fn describe(tools: &[Tool]) -> Vec<ToolDescription> {
    for (i, tool) in tools.iter().enumerate() {
        let name = tool.name();
        assert!(
            tools[..i].iter().all(|t| t.name() != name),
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

/// Exports a plugin's tools as the component's `moat:plugin/tools` interface.
///
/// Give it a function that returns the tools, `fn() -> Vec<Tool>`. It runs
/// once per `describe` and once per `call`, and each call gets a fresh
/// instance, so it should only build the list. Use it once per plugin, at
/// the top level of the crate:
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
#[macro_export]
macro_rules! export {
    ($tools:path) => {
        const _: () = {
            struct MoatPlugin;

            impl $crate::bindings::exports::moat::plugin::tools::Guest for MoatPlugin {
                fn describe() -> ::std::vec::Vec<$crate::ToolDescription> {
                    $crate::describe(&$tools())
                }

                fn call(
                    name: ::std::string::String,
                    arguments: ::std::string::String,
                ) -> $crate::ToolResult {
                    $crate::call(&$tools(), &name, &arguments)
                }
            }

            $crate::__export_plugin_impl! { MoatPlugin with_types_in $crate::bindings }
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
