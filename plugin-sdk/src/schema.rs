//! JSON Schemas for a tool's arguments and result, derived with `schemars`.
//!
//! MCP clients hand these schemas to models and validators of every kind, so
//! they are kept plain: JSON Schema 2020-12 (MCP's default dialect) with no
//! `$schema` keyword, no root `title` (the Rust type's name means nothing to a
//! client), and every subschema inlined rather than behind a `$ref`. Only a
//! recursive type keeps a `$ref`, into the schema's own `$defs`, so the
//! schema is always self-contained. Rust-only number formats that schemars
//! writes (`uint16`, `uint64`, `int8`, ...) are dropped: validators such as
//! the TypeScript SDK's warn about every unknown format, and the range they
//! stand for is already there as `minimum`/`maximum`.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};
use serde_json::Value;

/// The schema of what a tool accepts: `T` as `serde` deserialises it, so a
/// field with a default or an `Option` is not required.
pub(crate) fn input<T: JsonSchema>() -> Value {
    plain::<T>(SchemaSettings::draft2020_12().for_deserialize())
}

/// The schema of what a tool returns: `T` as `serde` serialises it.
pub(crate) fn output<T: JsonSchema>() -> Value {
    plain::<T>(SchemaSettings::draft2020_12().for_serialize())
}

/// Whether `schema` describes a JSON object, as MCP requires of both a
/// tool's input schema and its output schema.
pub(crate) fn is_object(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("object")
}

/// Whether [`output`] of `T` describes a JSON object, found from `T`'s own
/// schema without the root's definitions, transforms and clean-up, none of
/// which changes its `type`. A tool asks this on every call, each in a fresh
/// instance with nothing cached, so it costs about half of [`output`].
pub(crate) fn output_is_object<T: JsonSchema>() -> bool {
    let mut generator = settings(SchemaSettings::draft2020_12().for_serialize()).into_generator();
    T::json_schema(&mut generator)
        .get("type")
        .and_then(Value::as_str)
        == Some("object")
}

/// `settings` as [`input`] and [`output`] use them.
fn settings(settings: SchemaSettings) -> SchemaSettings {
    settings.with(|s| {
        s.meta_schema = None;
        s.inline_subschemas = true;
    })
}

fn plain<T: JsonSchema>(settings: SchemaSettings) -> Value {
    let schema: Schema = self::settings(settings)
        .into_generator()
        .into_root_schema_for::<T>();
    let mut schema = schema.to_value();
    if let Some(root) = schema.as_object_mut() {
        root.remove("title");
    }
    drop_rust_formats(&mut schema);
    schema
}

/// The number formats JSON Schema tools know (from OpenAPI); schemars also
/// writes Rust's own (`uint64`, `int16`, ...), which are removed.
const KNOWN_NUMBER_FORMATS: [&str; 4] = ["int32", "int64", "float", "double"];

fn drop_rust_formats(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let numeric = |t: &Value| matches!(t.as_str(), Some("integer" | "number"));
            let is_number = map.get("type").is_some_and(|t| match t {
                Value::Array(types) => types.iter().any(numeric),
                t => numeric(t),
            });
            let unknown = map
                .get("format")
                .and_then(Value::as_str)
                .is_some_and(|f| !KNOWN_NUMBER_FORMATS.contains(&f));
            if is_number && unknown {
                map.remove("format");
            }
            map.values_mut().for_each(drop_rust_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_rust_formats),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Point {
        /// Across.
        x: f64,
        y: f64,
        label: Option<String>,
        #[serde(default)]
        tags: Vec<String>,
        corner: Corner,
    }

    #[derive(Deserialize, Serialize, JsonSchema)]
    #[allow(dead_code)]
    struct Corner {
        x: i32,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Tree {
        children: Vec<Tree>,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Forest {
        trees: Vec<Tree>,
    }

    #[test]
    fn input_schema_is_plain_and_inlined() {
        let schema = input::<Point>();
        assert_eq!(
            schema,
            json!({
                "type": "object",
                "properties": {
                    "x": { "type": "number", "format": "double", "description": "Across." },
                    "y": { "type": "number", "format": "double" },
                    "label": { "type": ["string", "null"] },
                    "tags": { "type": "array", "items": { "type": "string" }, "default": [] },
                    "corner": {
                        "type": "object",
                        "properties": { "x": { "type": "integer", "format": "int32" } },
                        "required": ["x"]
                    }
                },
                "required": ["x", "y", "corner"]
            })
        );
    }

    #[derive(Serialize, JsonSchema)]
    #[allow(dead_code)]
    struct Sizes {
        small: u16,
        big: Option<u64>,
        signed: i8,
        wide: i64,
    }

    #[test]
    fn rust_only_number_formats_are_dropped() {
        let schema = output::<Sizes>();
        let props = &schema["properties"];
        assert_eq!(props["small"].get("format"), None);
        assert_eq!(props["small"]["minimum"], 0);
        assert_eq!(props["big"].get("format"), None);
        assert_eq!(props["signed"].get("format"), None);
        assert_eq!(props["wide"]["format"], "int64");
    }

    #[test]
    fn output_schema_is_an_object_for_a_struct() {
        let schema = output::<Corner>();
        assert!(is_object(&schema));
        assert!(schema.get("$schema").is_none());
        assert!(schema.get("title").is_none());
    }

    #[test]
    fn scalars_are_not_objects() {
        assert!(!is_object(&output::<f64>()));
        assert!(!is_object(&input::<Vec<Corner>>()));
    }

    #[derive(Serialize, JsonSchema)]
    #[allow(dead_code)]
    enum Shape {
        Dot,
        Square { side: f64 },
    }

    #[derive(Serialize, JsonSchema)]
    #[allow(dead_code)]
    #[serde(tag = "kind")]
    enum Tagged {
        Dot { at: f64 },
        Square { side: f64 },
    }

    #[derive(Serialize, JsonSchema)]
    #[allow(dead_code)]
    struct Nested {
        child: Option<Box<Nested>>,
    }

    #[derive(Serialize, JsonSchema)]
    #[allow(dead_code)]
    struct Wrapper(Corner);

    /// `output_is_object` must say what the whole schema says, for every
    /// kind of type a tool may return.
    fn agrees<T: JsonSchema>() {
        let whole = is_object(&output::<T>());
        assert_eq!(
            output_is_object::<T>(),
            whole,
            "{} (the whole schema: {})",
            std::any::type_name::<T>(),
            output::<T>()
        );
    }

    #[test]
    fn output_is_object_agrees_with_the_whole_schema() {
        agrees::<Corner>();
        agrees::<Sizes>();
        agrees::<Nested>();
        agrees::<Wrapper>();
        agrees::<Shape>();
        agrees::<Tagged>();
        agrees::<Option<Corner>>();
        agrees::<std::collections::HashMap<String, f64>>();
        agrees::<Value>();
        agrees::<serde_json::Map<String, Value>>();
        agrees::<Vec<Corner>>();
        agrees::<f64>();
        agrees::<String>();
        agrees::<()>();
        assert!(output_is_object::<Corner>() && output_is_object::<Nested>());
        assert!(!output_is_object::<f64>() && !output_is_object::<Shape>());
    }

    /// Every `$ref` in `schema`, all of which must point inside `root`.
    fn refs<'a>(root: &Value, schema: &'a Value, found: &mut Vec<&'a str>) {
        match schema {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    let pointer = target.strip_prefix('#').expect("a local $ref");
                    assert!(root.pointer(pointer).is_some(), "dangling {target}");
                    found.push(target);
                }
                map.values().for_each(|v| refs(root, v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(root, v, found)),
            _ => {}
        }
    }

    #[test]
    fn recursive_types_keep_local_refs_that_resolve() {
        for schema in [input::<Tree>(), input::<Forest>()] {
            assert!(is_object(&schema));
            let mut found = Vec::new();
            refs(&schema, &schema, &mut found);
            assert!(!found.is_empty(), "{schema}");
        }
    }

    #[test]
    fn plain_types_have_no_refs() {
        let schema = input::<Point>();
        let mut found = Vec::new();
        refs(&schema, &schema, &mut found);
        assert!(found.is_empty(), "{schema}");
        assert!(schema.get("$defs").is_none());
    }
}
