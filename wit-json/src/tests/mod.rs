//! Unit and property tests of the mapping.

mod arguments;
mod decode;
mod decode_compound;
mod encode;
mod names;
mod near;
mod props;
mod schema;
mod strategies;

use serde_json::{Map, Value as Json};

use crate::{Case, Field, Param, Type, Value};

/// A parameter without docs.
fn param(name: &str, ty: Type) -> Param {
    Param {
        name: name.into(),
        ty,
        docs: None,
    }
}

/// A field without docs.
fn field(name: &str, ty: Type) -> Field {
    Field {
        name: name.into(),
        ty,
        docs: None,
    }
}

/// A case without docs.
fn case(name: &str, ty: Option<Type>) -> Case {
    Case {
        name: name.into(),
        ty,
        docs: None,
    }
}

fn list(ty: Type) -> Type {
    Type::List(Box::new(ty))
}

fn option(ty: Type) -> Type {
    Type::Option(Box::new(ty))
}

fn result(ok: Option<Type>, err: Option<Type>) -> Type {
    Type::Result {
        ok: ok.map(Box::new),
        err: err.map(Box::new),
    }
}

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

fn some(value: Value) -> Value {
    Value::Option(Some(Box::new(value)))
}

/// `json`, which must be an object, as a map.
fn object(json: Json) -> Map<String, Json> {
    match json {
        Json::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// A validator for `schema` (2020-12, as MCP uses).
fn validator(schema: &Json) -> jsonschema::Validator {
    jsonschema::draft202012::new(schema).expect("the schema compiles")
}
