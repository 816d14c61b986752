//! wasmtime's component types as [`moat_wit_json::Type`]s: the types that
//! can cross as JSON, and a refusal naming the function and the type for
//! those that cannot (resources, `future`, `stream`, `error-context`, and
//! the newer `map` and fixed-length lists, which have no JSON form here yet).

use wasmtime::component::ResourceType;
use wasmtime::component::types::Type as Wit;

use moat_wit_json::{Case, Field, Type};

/// How deeply types may nest (a `list<list<...>>` 65 levels deep is
/// refused). Every conversion of a value or schema recurses once per level,
/// so this bounds the host's stack for a hostile component's types; no
/// real interface nests a tenth as deep. Fixed.
pub const MAX_TYPE_DEPTH: usize = 64;

/// How many type nodes (every field, case, element type…) one function's
/// parameters and result may hold, counted as a tree. wasmparser bounds a
/// component's types at a million nodes, which as schemas would take the
/// host tens of MiB per function before the listing limits could refuse
/// them; no real function's types come close. Fixed.
pub const MAX_TYPE_NODES: usize = 10_000;

/// How many type nodes all of one component's functions may hold together:
/// twenty functions at the per-function limit, or a thousand (the default
/// `max_tools`) of 200 each. Without it, a component exporting a thousand
/// functions that all use one type of 10,000 parts (defined once, so the
/// file stays small) would make the host build ten million nodes. Fixed.
pub const MAX_TOTAL_TYPE_NODES: usize = 200_000;

/// A type that cannot cross as JSON, for the load error: `what` it is
/// ("a resource `file`") and `why` it is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The type, e.g. "a resource `file`".
    pub what: String,
    /// Why, e.g. "resources cannot cross as JSON".
    pub why: String,
}

impl Refused {
    fn new(what: impl Into<String>, why: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            why: why.into(),
        }
    }
}

/// Converts one function's types, sharing one node budget.
pub struct Converter<'a> {
    nodes: usize,
    /// The resources exported beside the function, to name them.
    resources: &'a [(String, ResourceType)],
}

impl<'a> Converter<'a> {
    /// A converter with a fresh budget of [`MAX_TYPE_NODES`]; `resources`
    /// names the resource types a refusal may meet.
    pub fn new(resources: &'a [(String, ResourceType)]) -> Self {
        Self {
            nodes: 0,
            resources,
        }
    }

    /// How many type nodes it has converted.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    fn resource(&self, ty: &ResourceType) -> Refused {
        let what = match self.resources.iter().find(|(_, r)| r == ty) {
            Some((name, _)) => format!("a resource `{name}`"),
            None => "a resource".into(),
        };
        Refused::new(what, "resources cannot cross as JSON")
    }

    /// `ty` as a JSON-able type, or why it is not one.
    pub fn convert(&mut self, ty: &Wit) -> Result<Type, Refused> {
        self.at(ty, 0)
    }

    fn at(&mut self, ty: &Wit, depth: usize) -> Result<Type, Refused> {
        self.nodes += 1;
        if self.nodes > MAX_TYPE_NODES {
            return Err(Refused::new(
                format!("types of more than {MAX_TYPE_NODES} parts"),
                "that is over the host's fixed limit per function",
            ));
        }
        if depth > MAX_TYPE_DEPTH {
            return Err(Refused::new(
                format!("types nested more than {MAX_TYPE_DEPTH} levels deep"),
                "that is over the host's fixed limit",
            ));
        }
        let inner = depth + 1;
        Ok(match ty {
            Wit::Bool => Type::Bool,
            Wit::S8 => Type::S8,
            Wit::U8 => Type::U8,
            Wit::S16 => Type::S16,
            Wit::U16 => Type::U16,
            Wit::S32 => Type::S32,
            Wit::U32 => Type::U32,
            Wit::S64 => Type::S64,
            Wit::U64 => Type::U64,
            Wit::Float32 => Type::F32,
            Wit::Float64 => Type::F64,
            Wit::Char => Type::Char,
            Wit::String => Type::String,
            Wit::List(list) => Type::List(Box::new(self.at(&list.ty(), inner)?)),
            Wit::Tuple(tuple) => Type::Tuple(
                tuple
                    .types()
                    .map(|ty| self.at(&ty, inner))
                    .collect::<Result<_, _>>()?,
            ),
            Wit::Record(record) => Type::Record(
                record
                    .fields()
                    .map(|field| {
                        Ok(Field {
                            name: field.name.to_owned(),
                            ty: self.at(&field.ty, inner)?,
                            docs: None,
                        })
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Wit::Variant(variant) => Type::Variant(
                variant
                    .cases()
                    .map(|case| {
                        Ok(Case {
                            name: case.name.to_owned(),
                            ty: case.ty.map(|ty| self.at(&ty, inner)).transpose()?,
                            docs: None,
                        })
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Wit::Enum(cases) => Type::Enum(cases.names().map(str::to_owned).collect()),
            Wit::Flags(flags) => Type::Flags(flags.names().map(str::to_owned).collect()),
            Wit::Option(option) => Type::Option(Box::new(self.at(&option.ty(), inner)?)),
            Wit::Result(result) => Type::Result {
                ok: self.side(result.ok(), inner)?,
                err: self.side(result.err(), inner)?,
            },
            Wit::Own(ty) | Wit::Borrow(ty) => return Err(self.resource(ty)),
            Wit::Future(_) => {
                return Err(Refused::new("a `future`", "futures cannot cross as JSON"));
            }
            Wit::Stream(_) => {
                return Err(Refused::new("a `stream`", "streams cannot cross as JSON"));
            }
            Wit::ErrorContext => {
                return Err(Refused::new(
                    "an `error-context`",
                    "it cannot cross as JSON",
                ));
            }
            Wit::Map(_) => {
                return Err(Refused::new("a `map`", "moat has no JSON form for it yet"));
            }
            Wit::FixedLengthList(_) => {
                return Err(Refused::new(
                    "a fixed-length list",
                    "moat has no JSON form for it yet",
                ));
            }
        })
    }

    fn side(&mut self, ty: Option<Wit>, depth: usize) -> Result<Option<Box<Type>>, Refused> {
        ty.map(|ty| self.at(&ty, depth).map(Box::new)).transpose()
    }
}
