//! Claims as Cedar values: what is kept, what is dropped, what is bounded.

use serde_json::json;

use super::{policy, principal, tool};
use crate::Kind;
use crate::claims::{MAX_DEPTH, MAX_VALUES};

fn allows(condition: &str, claims: serde_json::Value) -> bool {
    let p = policy(&format!(
        "permit(principal, action, resource) when {{ {condition} }};"
    ));
    p.allows(
        &principal("alice", Kind::OAuth, &[], claims),
        &tool("t", "p"),
    )
}

#[test]
fn strings_bools_integers_sets_and_records_are_kept() {
    let claims = json!({"s": "x", "b": true, "n": -7, "set": [1, "two"], "r": {"a": {"b": 3}}});
    assert!(allows("principal.claims.s == \"x\"", claims.clone()));
    assert!(allows("principal.claims.b", claims.clone()));
    assert!(allows("principal.claims.n < 0", claims.clone()));
    assert!(allows(
        "principal.claims.set.contains(\"two\")",
        claims.clone()
    ));
    assert!(allows("principal.claims.r.a.b == 3", claims));
}

#[test]
fn floats_nulls_and_huge_integers_are_dropped() {
    let claims = json!({"f": 1.5, "z": null, "big": u64::MAX, "set": [1.5, null, 2]});
    assert!(allows("!(principal.claims has f)", claims.clone()));
    assert!(allows("!(principal.claims has z)", claims.clone()));
    assert!(allows("!(principal.claims has big)", claims.clone()));
    assert!(allows("principal.claims.set == [2]", claims));
}

#[test]
fn nesting_past_the_bound_is_dropped() {
    let mut deep = json!("leaf");
    for _ in 0..100 {
        deep = json!({ "d": deep });
    }
    // depth 1 is the claims record; `d` at depth n holds depth n+1.
    let path = |n: usize| format!("principal.claims{}", ".d".repeat(n));
    assert!(allows(
        &format!("{} has d", path(MAX_DEPTH - 2)),
        deep.clone()
    ));
    assert!(allows(&format!("!({} has d)", path(MAX_DEPTH - 1)), deep));
}

#[test]
fn a_huge_set_is_cut_to_the_budget() {
    let groups: Vec<String> = (0..MAX_VALUES * 4).map(|i| format!("g{i}")).collect();
    let claims = json!({"groups": groups});
    assert!(allows(
        "principal.claims.groups.contains(\"g0\")",
        claims.clone()
    ));
    let last = format!("g{}", MAX_VALUES * 4 - 1);
    assert!(allows(
        &format!("!principal.claims.groups.contains(\"{last}\")"),
        claims
    ));
}
