//! Tool names: plain where they can be, qualified just enough where not.

use crate::names::{Export, MAX_LEN, tool_names};

fn export<'a>(interface: Option<&'a str>, function: &'a str) -> Export<'a> {
    Export {
        interface,
        function,
    }
}

/// The names, checked to be unique and within MCP's rules.
fn named(exports: &[Export<'_>]) -> Vec<String> {
    let names = tool_names(exports);
    assert_eq!(names.len(), exports.len());
    for (i, name) in names.iter().enumerate() {
        assert!(!names[..i].contains(name), "{name} repeats in {names:?}");
        let fits = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        assert!(
            fits && (1..=MAX_LEN).contains(&name.len()),
            "{name} breaks MCP's rules"
        );
    }
    names
}

#[test]
fn no_collision_keeps_plain_names() {
    let exports = [
        export(None, "mul"),
        export(Some("example:math/calc@0.1.0"), "to-upper"),
    ];
    assert_eq!(named(&exports), ["mul", "to-upper"]);
    assert_eq!(named(&[]), Vec::<String>::new());
}

#[test]
fn top_level_and_interface_collide() {
    let exports = [
        export(None, "add"),
        export(Some("example:math/calc@0.1.0"), "add"),
        export(None, "sub"),
    ];
    assert_eq!(named(&exports), ["add", "calc_add", "sub"]);
}

#[test]
fn two_interfaces_share_a_function_name() {
    let exports = [
        export(Some("example:math/calc@0.1.0"), "add"),
        export(Some("example:math/vec@0.1.0"), "add"),
    ];
    assert_eq!(named(&exports), ["calc_add", "vec_add"]);
}

#[test]
fn same_interface_name_in_two_packages() {
    let exports = [
        export(Some("example:math/calc@0.1.0"), "add"),
        export(Some("other:math2/calc@2.0.0"), "add"),
        export(Some("example:math/calc@0.1.0"), "mul"),
        export(None, "add"),
    ];
    assert_eq!(
        named(&exports),
        [
            "example_math_calc_add",
            "other_math2_calc_add",
            "mul",
            "add"
        ]
    );
}

#[test]
fn versions_are_left_out_unless_they_alone_differ() {
    let exports = [
        export(Some("a:b/c@0.1.0"), "f"),
        export(Some("a:b/c@0.2.0"), "f"),
    ];
    assert_eq!(named(&exports), ["a_b_c_0.1.0_f", "a_b_c_0.2.0_f"]);
    let exports = [export(Some("a:b/c@0.1.0"), "f"), export(Some("a:b/d"), "f")];
    assert_eq!(named(&exports), ["c_f", "d_f"]);
    let exports = [
        export(Some("a:b/c@1.0.0+build.5"), "f"),
        export(Some("a:b/c@1.0.0"), "f"),
    ];
    assert_eq!(named(&exports), ["a_b_c_1.0.0_build.5_f", "a_b_c_1.0.0_f"]);
}

#[test]
fn inline_interface_names_and_nested_packages() {
    let exports = [
        export(Some("tools"), "run"),
        export(None, "run"),
        export(Some("a:b/c/d@1.0.0"), "run"),
    ];
    assert_eq!(named(&exports), ["tools_run", "run", "d_run"]);
}

#[test]
fn odd_characters_long_names_and_repeats_still_give_valid_unique_names() {
    let long = "a".repeat(300);
    let long2 = format!("{}b", "a".repeat(299));
    let exports = [
        export(None, "[method]thing.go"),
        export(None, ""),
        export(None, &long),
        export(None, &long2),
        export(Some("x:y/z"), "f"),
        export(Some("x:y/z"), "f"),
        export(None, "f_2"),
    ];
    let names = named(&exports);
    assert_eq!(names[0], "_method_thing.go");
    assert_eq!(names[1], "_");
    assert_eq!(names[2].len(), MAX_LEN);
    assert_ne!(names[2], names[3], "cut names keep a hash of the whole");
    assert_eq!(names[4], "x_y_z_f");
    assert_eq!(names[5], "x_y_z_f_2");
    assert_eq!(names[6], "f_2");
}

#[test]
fn many_colliding_exports_stay_unique() {
    let interfaces: Vec<String> = (0..50)
        .map(|i| format!("ns{}:pkg/iface@0.{}.0", i % 3, i % 7))
        .collect();
    let exports: Vec<Export<'_>> = interfaces.iter().map(|i| export(Some(i), "go")).collect();
    named(&exports);
}

proptest::proptest! {
    /// Whatever the exports (drawn from small pools, so that they collide
    /// often, and with odd characters), the names are valid and unique.
    #[test]
    fn names_are_always_valid_and_unique(
        exports in proptest::collection::vec(
            (
                proptest::option::of("(a|b):(x|y)(/(p|q))?/(calc|vec)(@0\\.(1|2)\\.0)?"),
                "add|sub|f-[a-z]|[a-z_.\\[\\] ]{0,3}|x{120,140}",
            ),
            0..12,
        )
    ) {
        let exports: Vec<Export<'_>> =
            exports.iter().map(|(i, f)| export(i.as_deref(), f)).collect();
        named(&exports);
    }
}
