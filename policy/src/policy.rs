//! [`Policy`]: a parsed, validated policy file, and the decision it makes
//! for one caller and one tool, resource or prompt.

use std::collections::HashSet;
use std::str::FromStr as _;

use cedar_policy::{
    ActionConstraint, Authorizer, Context, Effect, Entities, Entity, EntityTypeName, EntityUid,
    PolicySet, Request, ResourceConstraint, RestrictedExpression, ValidationMode, Validator,
};

use crate::error::{PolicyError, Problem, labelled};
use crate::principal::{Principal, type_name, uid};
use crate::schema::schema;
use crate::target::{Action, Target};

/// The annotation naming the scopes that grant a `permit`.
const SCOPE: &str = "scope";

/// A policy file, ready to decide. Immutable: a reload parses a new one.
#[derive(Debug)]
pub struct Policy {
    set: PolicySet,
    authorizer: Authorizer,
    /// The `permit`s annotated with `@scope`, in file order.
    scoped: Vec<Scoped>,
}

/// A `permit`'s scope (action and resource) and the scopes it names.
#[derive(Debug)]
struct Scoped {
    action: ActionConstraint,
    resource: ResourceConstraint,
    scopes: Vec<String>,
}

/// What the policy decided for one caller and target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the caller may use the target.
    pub allowed: bool,
    /// When refused: the scopes named by `@scope` on every `permit` whose
    /// action and resource constraints match the target (whatever its
    /// principal and conditions), in file order without repeats. What a
    /// 403 tells the client to ask for. Empty when allowed.
    pub scopes: Vec<String>,
}

impl Policy {
    /// Parses `text` (Cedar policies; `source_name` names it in errors)
    /// and validates it against [`crate::SCHEMA`] in strict mode.
    ///
    /// Validation cannot check what lies under `principal.claims` (a
    /// token's claims are not known in advance), so the validator's
    /// complaints about accesses there are not errors; at decision time a
    /// missing claim is an evaluation error, which makes the policy it is
    /// in not apply (test with `has`). Templates (`?principal`) are refused:
    /// nothing here links them.
    pub fn parse(text: &str, source_name: &str) -> Result<Self, PolicyError> {
        let refuse = |problems| PolicyError {
            source_name: source_name.to_owned(),
            problems,
        };
        let set = PolicySet::from_str(text)
            .map_err(|errors| refuse(errors.iter().map(|e| Problem::of(e, text)).collect()))?;
        let mut problems = Vec::new();
        if set.templates().next().is_some() {
            let offset = ["?principal", "?resource"]
                .iter()
                .filter_map(|slot| text.find(slot))
                .min();
            let message =
                "policy templates (`?principal`, `?resource`) are not supported: write the entity"
                    .to_owned();
            problems.push(Problem::at(text, offset, message));
        }
        let validated = Validator::new(schema()).validate(&set, ValidationMode::Strict);
        problems.extend(
            validated
                .validation_errors()
                .filter(|error| !under_claims(error, text))
                .map(|error| Problem::of(error, text)),
        );
        let mut scoped = Vec::new();
        for policy in set.policies() {
            let Some(named) = policy.annotation(SCOPE) else {
                continue;
            };
            let offset = annotation_at(text, named);
            if policy.effect() == Effect::Forbid {
                let message = "@scope belongs on a `permit`: a `forbid` grants nothing".to_owned();
                problems.push(Problem::at(text, offset, message));
                continue;
            }
            let scopes: Vec<String> = named.split_whitespace().map(str::to_owned).collect();
            if scopes.is_empty() || !scopes.iter().all(|s| s.chars().all(scope_char)) {
                let message = format!(
                    "@scope(\"{}\") is not a space-separated list of OAuth scopes (RFC 6749 §3.3: printable ASCII but `\"` and `\\`)",
                    named.escape_default()
                );
                problems.push(Problem::at(text, offset, message));
                continue;
            }
            scoped.push(Scoped {
                action: policy.action_constraint(),
                resource: policy.resource_constraint(),
                scopes,
            });
        }
        if !problems.is_empty() {
            problems.sort_by_key(|problem| problem.position);
            return Err(refuse(problems));
        }
        Ok(Self {
            set,
            authorizer: Authorizer::new(),
            scoped,
        })
    }

    /// Whether `principal` may use `target`, and if not which scopes would
    /// grant it.
    pub fn decide(&self, principal: &Principal, target: &Target<'_>) -> Decision {
        let ids = Ids::of(target);
        if self.allows_ids(principal, target, &ids) {
            return Decision {
                allowed: true,
                scopes: Vec::new(),
            };
        }
        let mut scopes: Vec<String> = Vec::new();
        for scoped in self.scoped.iter().filter(|s| s.applies(&ids)) {
            for scope in &scoped.scopes {
                if !scopes.contains(scope) {
                    scopes.push(scope.clone());
                }
            }
        }
        Decision {
            allowed: false,
            scopes,
        }
    }

    /// Whether `principal` may use `target` (a list's filter: no scopes).
    pub fn allows(&self, principal: &Principal, target: &Target<'_>) -> bool {
        self.allows_ids(principal, target, &Ids::of(target))
    }

    fn allows_ids(&self, principal: &Principal, target: &Target<'_>, ids: &Ids) -> bool {
        let (_, id, attribute, _) = target.parts();
        let attrs = [(
            attribute.to_owned(),
            RestrictedExpression::new_string(id.to_owned()),
        )];
        let Ok(resource) = Entity::new(
            ids.resource.clone(),
            attrs.into(),
            HashSet::from([ids.plugin.clone()]),
        ) else {
            return false;
        };
        let plugin = Entity::new_no_attrs(ids.plugin.clone(), HashSet::new());
        let entities = [principal.entity.clone(), resource, plugin];
        let Ok(entities) = Entities::from_entities(entities, None) else {
            return false;
        };
        let Ok(request) = Request::new(
            principal.uid.clone(),
            ids.action.clone(),
            ids.resource.clone(),
            Context::empty(),
            None,
        ) else {
            return false;
        };
        let response = self
            .authorizer
            .is_authorized(&request, &self.set, &entities);
        response.decision() == cedar_policy::Decision::Allow
    }
}

/// The Cedar ids of a target.
struct Ids {
    action: EntityUid,
    resource: EntityUid,
    kind: EntityTypeName,
    plugin: EntityUid,
}

impl Ids {
    fn of(target: &Target<'_>) -> Self {
        let (kind, id, _, plugin) = target.parts();
        Self {
            action: action_uid(target.action()),
            resource: uid(kind, id),
            kind: type_name(kind),
            plugin: uid("Plugin", plugin),
        }
    }
}

/// `Moat::Action::"<id>"`.
fn action_uid(action: Action) -> EntityUid {
    uid("Action", action.id())
}

impl Scoped {
    /// Whether this `permit`'s action and resource constraints match.
    fn applies(&self, ids: &Ids) -> bool {
        let action = match &self.action {
            ActionConstraint::Any => true,
            ActionConstraint::Eq(action) => *action == ids.action,
            ActionConstraint::In(actions) => actions.contains(&ids.action),
        };
        let within = |uid: &EntityUid| *uid == ids.resource || *uid == ids.plugin;
        let resource = match &self.resource {
            ResourceConstraint::Any => true,
            ResourceConstraint::Eq(uid) => *uid == ids.resource,
            ResourceConstraint::In(uid) => within(uid),
            ResourceConstraint::Is(kind) => *kind == ids.kind,
            ResourceConstraint::IsIn(kind, uid) => *kind == ids.kind && within(uid),
        };
        action && resource
    }
}

/// A character an OAuth scope may hold (RFC 6749 §3.3), which also keeps a
/// `WWW-Authenticate` header built from it well-formed.
fn scope_char(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')
}

/// Whether a validation error is about an access under `principal.claims`,
/// which the schema cannot describe.
fn under_claims(error: &cedar_policy::ValidationError, text: &str) -> bool {
    use cedar_policy::ValidationError as E;
    matches!(
        error,
        E::UnsafeAttributeAccess(_) | E::UnsafeOptionalAttributeAccess(_)
    ) && labelled(error, text).is_some_and(|source| {
        let compact: String = source.chars().filter(|c| !c.is_whitespace()).collect();
        compact.starts_with("principal.claims")
    })
}

/// Where `@scope("<value>")` is in `text` (Cedar's API gives a policy's
/// annotations but not where they are).
fn annotation_at(text: &str, value: &str) -> Option<usize> {
    text.match_indices("@scope").map(|(at, _)| at).find(|&at| {
        let rest = text[at + "@scope".len()..].trim_start();
        rest.strip_prefix('(')
            .is_some_and(|rest| rest.trim_start().starts_with(&format!("\"{value}\"")))
    })
}
