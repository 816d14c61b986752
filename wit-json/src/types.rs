//! The WIT types and values that can cross as JSON.

/// A WIT type whose values can cross as JSON. Resources, `future`, `stream`
/// and `error-context` have no JSON form: the host refuses a function that
/// uses them before it gets here.
///
/// The JSON form of each, the same in schemas, arguments and results:
///
/// | WIT | JSON | example |
/// | --- | --- | --- |
/// | `bool` | boolean | `true` |
/// | `s8` … `u64` | integer, exact `minimum`/`maximum` | `425` |
/// | `f32`, `f64` | number (finite); in results also `"NaN"`, `"Infinity"`, `"-Infinity"` | `2.5` |
/// | `char` | string of one code point | `"é"` |
/// | `string` | string | `"hi"` |
/// | `list<u8>` | base64 string (`contentEncoding: base64`) | `"aGk="` |
/// | `list<T>` | array | `[1, 2]` |
/// | `tuple<A, B>` | array, `prefixItems` | `[1, "a"]` |
/// | `record` | object, non-option fields required, no others | `{"x": 1}` |
/// | `variant` | object with exactly one key, the case; `null` for no payload | `{"circle": 2.0}` |
/// | `enum` | string, one of the cases | `"red"` |
/// | `flags` | array of the flags that are set, no repeats | `["read"]` |
/// | `option<T>` | `null` or T; a field or parameter may also be left out | `null` |
/// | `option<option<T>>` | `null`, or `{"some": …}` for the outer `some` | `{"some": null}` |
/// | `result<T, E>` | `{"ok": …}` or `{"err": …}`, `null` for no payload | `{"ok": 1}` |
///
/// Integers wider than 2^53 are exact in the JSON text both ways (JSON has no
/// limit; JavaScript clients round them when they parse). An integer
/// argument may also be written with a fraction or exponent (`3.0`, `1e3`),
/// as JSON Schema's `integer` allows, but only within ±2^53: beyond, the
/// JSON reader may already have rounded it to a different integer
/// (`-9223372036854775809` reads as `i64::MIN`), so it is refused. A float
/// result that is integral within ±2^53 is written as a JSON integer
/// (`425`, as the MCP SDKs print it; `-0.0` keeps its sign).
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    /// `bool`.
    Bool,
    /// `s8`.
    S8,
    /// `u8`.
    U8,
    /// `s16`.
    S16,
    /// `u16`.
    U16,
    /// `s32`.
    S32,
    /// `u32`.
    U32,
    /// `s64`.
    S64,
    /// `u64`.
    U64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// `char`: one Unicode scalar value.
    Char,
    /// `string`.
    String,
    /// `list<T>`.
    List(Box<Type>),
    /// `tuple<T, …>`.
    Tuple(Vec<Type>),
    /// `record { … }`.
    Record(Vec<Field>),
    /// `variant { … }`.
    Variant(Vec<Case>),
    /// `enum { … }`: the case names.
    Enum(Vec<String>),
    /// `flags { … }`: the flag names.
    Flags(Vec<String>),
    /// `option<T>`.
    Option(Box<Type>),
    /// `result<T, E>`; `None` where WIT leaves a side out (`result<_, E>`).
    Result {
        /// The type of a success.
        ok: Option<Box<Type>>,
        /// The type of a failure.
        err: Option<Box<Type>>,
    },
}

/// A field of a record.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// As in WIT, e.g. `first-name`.
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// Its WIT doc comment, if the component carries one.
    pub docs: Option<String>,
}

/// A case of a variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// As in WIT, e.g. `circle`.
    pub name: String,
    /// Its payload's type; `None` for a case without one.
    pub ty: Option<Type>,
    /// Its WIT doc comment, if the component carries one.
    pub docs: Option<String>,
}

/// A parameter of a function: one property of the tool's input object.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// As in WIT, e.g. `x`.
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// What the docs say of it, if anything.
    pub docs: Option<String>,
}

/// An exported function: one tool.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// The function's own name, e.g. `mul`.
    pub name: String,
    /// Its WIT doc comment, if the component carries one.
    pub docs: Option<String>,
    /// Its parameters, in order.
    pub params: Vec<Param>,
    /// Its result type; `None` for a function that returns nothing.
    pub result: Option<Type>,
}

/// A WIT value, shaped like its [`Type`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `bool`.
    Bool(bool),
    /// `s8`.
    S8(i8),
    /// `u8`.
    U8(u8),
    /// `s16`.
    S16(i16),
    /// `u16`.
    U16(u16),
    /// `s32`.
    S32(i32),
    /// `u32`.
    U32(u32),
    /// `s64`.
    S64(i64),
    /// `u64`.
    U64(u64),
    /// `f32`.
    F32(f32),
    /// `f64`.
    F64(f64),
    /// `char`.
    Char(char),
    /// `string`.
    String(String),
    /// `list<T>`.
    List(Vec<Value>),
    /// `tuple<…>`.
    Tuple(Vec<Value>),
    /// `record`: every field, in the type's order.
    Record(Vec<(String, Value)>),
    /// `variant`: the case and its payload.
    Variant(String, Option<Box<Value>>),
    /// `enum`: the case.
    Enum(String),
    /// `flags`: the flags that are set, in the type's order.
    Flags(Vec<String>),
    /// `option<T>`.
    Option(Option<Box<Value>>),
    /// `result<T, E>`.
    Result(Result<Option<Box<Value>>, Option<Box<Value>>>),
}
