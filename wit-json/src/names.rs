//! Tool names for exported functions.
//!
//! A function's tool name is its WIT name (`mul`, `to-upper`), which always
//! fits MCP's tool-name rules. Where two exported functions share a name
//! (`add` at top level and in `calc`, or in two interfaces), each is
//! qualified by its interface's name with `_`, which no WIT name contains:
//! `calc_add`. Two interfaces of the same name in different packages are
//! qualified further by namespace and package: `example_math_calc_add`.

/// Where a function is exported from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export<'a> {
    /// The exported interface, e.g. `example:math/calc@0.1.0`; `None` for a
    /// function exported at the component's top level.
    pub interface: Option<&'a str>,
    /// The function's name, e.g. `add`.
    pub function: &'a str,
}

/// The tool name of each of `exports`, in order, unique among them.
pub fn tool_names(exports: &[Export<'_>]) -> Vec<String> {
    let _ = exports;
    todo!()
}
