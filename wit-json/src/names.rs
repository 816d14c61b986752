//! Tool names for exported functions.
//!
//! A function's tool name is its WIT name (`mul`, `to-upper`), which always
//! fits MCP's tool-name rules. Where two exported functions share a name
//! (`add` at top level and in `calc`, or in two interfaces), each is
//! qualified by its interface's name with `_`, which no WIT name contains:
//! `calc_add`. Two interfaces of the same name in different packages are
//! qualified further by namespace and package: `example_math_calc_add`.
//! A function at the top level is never qualified (it has no interface):
//! `add` stays `add` beside `calc_add`.
//!
//! The version (`@0.1.0`) is left out, unless two exports differ only in
//! it: then it is kept, `example_math_calc_0.1.0_add`. Every name matches
//! `^[A-Za-z0-9_.-]{1,128}$` (MCP's rule) and none repeats: a character
//! outside that set (which a WIT name never has) becomes `_`; a name over
//! 128 characters (WIT sets no length limit) is cut to 119 and given `_`
//! and eight hex digits of a hash of the whole name; and if two names are
//! still the same (an export listed twice), the later ones get `_2`, `_3`, ….

use std::collections::{HashMap, HashSet};

/// Where a function is exported from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export<'a> {
    /// The exported interface, e.g. `example:math/calc@0.1.0`; `None` for a
    /// function exported at the component's top level.
    pub interface: Option<&'a str>,
    /// The function's name, e.g. `add`.
    pub function: &'a str,
}

/// The longest tool name MCP allows.
pub const MAX_LEN: usize = 128;

/// The tool name of each of `exports`, in order, unique among them.
pub fn tool_names(exports: &[Export<'_>]) -> Vec<String> {
    let forms: Vec<Vec<String>> = exports.iter().map(forms).collect();
    // Qualify further only those that still collide, until none do or
    // none can be qualified any further.
    let mut level = vec![0; exports.len()];
    loop {
        let mut count: HashMap<&str, usize> = HashMap::new();
        for (forms, &l) in forms.iter().zip(&level) {
            *count.entry(forms[l].as_str()).or_default() += 1;
        }
        let mut changed = false;
        for (forms, l) in forms.iter().zip(&mut level) {
            if count[forms[*l].as_str()] > 1 && *l + 1 < forms.len() {
                *l += 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let names: Vec<String> = forms
        .iter()
        .zip(&level)
        .map(|(forms, &l)| fitted(&forms[l]))
        .collect();
    unique(names)
}

/// The names an export may go by, least qualified first: `add`,
/// `calc_add`, `example_math_calc_add`, `example_math_calc_0.1.0_add`.
fn forms(export: &Export<'_>) -> Vec<String> {
    let function = export.function;
    let mut forms = vec![function.to_owned()];
    let Some(interface) = export.interface else {
        return forms;
    };
    let (path, version) = match interface.rsplit_once('@') {
        Some((path, version)) => (path, Some(version)),
        None => (interface, None),
    };
    // `namespace:package/interface`; nested names split the same way.
    let parts: Vec<&str> = path.split([':', '/']).filter(|p| !p.is_empty()).collect();
    let short = parts.last().copied().unwrap_or(path);
    forms.push(format!("{short}_{function}"));
    if parts.len() > 1 {
        forms.push(format!("{}_{function}", parts.join("_")));
    }
    if let Some(version) = version {
        forms.push(format!("{}_{version}_{function}", parts.join("_")));
    }
    forms
}

/// `name` within MCP's rules: allowed characters only, at most
/// [`MAX_LEN`] of them, never empty.
fn fitted(name: &str) -> String {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    let clean: String = name
        .chars()
        .map(|c| if allowed(c) { c } else { '_' })
        .collect();
    if clean.is_empty() {
        return "_".into();
    }
    if clean.len() <= MAX_LEN {
        return clean;
    }
    // All ASCII now, so any byte is a character boundary.
    format!("{}_{:08x}", &clean[..MAX_LEN - 9], fnv1a(name))
}

/// The names with any repeats after the first given `_2`, `_3`, …, kept
/// within [`MAX_LEN`] and clear of every other name.
fn unique(names: Vec<String>) -> Vec<String> {
    let mut taken: HashSet<String> = names.iter().cloned().collect();
    let mut seen = HashSet::new();
    names
        .into_iter()
        .map(|name| {
            if seen.insert(name.clone()) {
                return name;
            }
            let mut candidates = (2..).map(|n| {
                let suffix = format!("_{n}");
                let base = &name[..name.len().min(MAX_LEN - suffix.len())];
                format!("{base}{suffix}")
            });
            let name = candidates.find(|candidate| !taken.contains(candidate));
            let name = name.unwrap_or_default();
            taken.insert(name.clone());
            seen.insert(name.clone());
            name
        })
        .collect()
}

/// FNV-1a, 32 bits: a short, stable fingerprint for a cut name.
fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}
