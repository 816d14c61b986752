//! A whole MCP server in one plugin: tools with every kind of content,
//! progress and logging, tools and a prompt that ask the client questions,
//! resources, a resource template, prompts and completion.
//!
//! It serves the fixtures the official MCP conformance suite calls (their
//! names, texts and payloads are the suite's, listed in
//! `tests/conformance/SCENARIOS.md`), and it is the reference for a plugin
//! that does more than tools. Each module shows one part:
//!
//! | module | shows |
//! | --- | --- |
//! | `tools.rs` | rich content (text, image, audio, embedded resources, several items), tool errors, progress, logging, a raw JSON Schema |
//! | `questions.rs` | asking the client: sampling, elicitation, roots, several questions at once, several rounds |
//! | `resources.rs` | resources at fixed URIs, and a template |
//! | `prompts.rs` | prompts with arguments, images and embedded resources, and one that asks the client |
//! | `completion.rs` | suggesting values for a prompt's argument |
//!
//! It needs no grants, so it has no manifest.

use moat_plugin_sdk::Server;

mod completion;
mod prompts;
mod questions;
mod resources;
mod tools;

/// A 1×1 red PNG.
const RED_PIXEL_PNG: &[u8] = include_bytes!("../assets/red-pixel.png");

/// An empty 8 kHz WAV.
const SILENCE_WAV: &[u8] = include_bytes!("../assets/silence.wav");

fn server() -> Server {
    let server = Server::new();
    let server = tools::add(server);
    let server = questions::add(server);
    let server = resources::add(server);
    let server = prompts::add(server);
    server.completion(completion::complete)
}

moat_plugin_sdk::export!(server);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_text_is_listed_first() {
        let tools = server().describe_tools();
        assert_eq!(tools[0].name, "test_simple_text");
    }

    #[test]
    fn every_list_loads() {
        let server = server();
        assert!(!server.describe_tools().is_empty());
        assert!(!server.list_resources().is_empty());
        assert!(!server.list_templates().is_empty());
        assert!(!server.list_prompts().is_empty());
    }
}
