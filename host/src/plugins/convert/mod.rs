//! What a plugin says, in the contract's WIT types, as MCP's types: tool
//! definitions (checked), tool results, resources, prompts, completions.

pub mod server_def;
pub mod tool_def;
pub mod tool_result;
