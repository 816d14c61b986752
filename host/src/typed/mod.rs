//! Plain typed components: a component that exports ordinary functions (at
//! top level or in exported interfaces) and none of `moat:plugin`'s
//! interfaces is a plugin whose functions are tools.
//!
//! At load, [`exports`] finds the functions and their types ([`types`]
//! refuses those with no JSON form), [`docs`] reads their descriptions from
//! the `package-docs` section, and [`tools`] derives each tool's definition
//! with `moat_wit_json`'s schemas. A call ([`call`]) checks the arguments
//! against the types before the plugin is entered, runs the function by
//! its export index, and returns the result as structured content
//! ([`values`] converts between wasmtime's values and the mapping's).

pub mod call;
pub mod docs;
pub mod embed;
pub mod exports;
pub mod tools;
pub mod types;
pub mod values;

pub use self::tools::{DescriptionSource, TypedTool};
