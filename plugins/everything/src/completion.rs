//! Completion: suggestions for `arg1` of `test_prompt_with_arguments`, as
//! the user types.
//!
//! One function answers for every prompt and template; it matches on what
//! is being completed and returns the suggestions, best first (the SDK
//! sends at most 100). Anything it does not know gets no suggestions.

use std::collections::BTreeMap;

use moat_plugin_sdk::CompletionTarget;

/// The values `arg1` suggests.
const ARG1_VALUES: [&str; 5] = ["test", "testValue1", "testValue2", "example", "sample"];

pub fn complete(
    target: &CompletionTarget,
    argument: &str,
    value: &str,
    _context: &BTreeMap<String, String>,
) -> Vec<String> {
    match (target, argument) {
        (CompletionTarget::Prompt(prompt), "arg1") if prompt == "test_prompt_with_arguments" => {
            ARG1_VALUES
                .into_iter()
                .filter(|candidate| candidate.starts_with(value))
                .map(String::from)
                .collect()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arg1(value: &str) -> Vec<String> {
        let target = CompletionTarget::Prompt("test_prompt_with_arguments".into());
        complete(&target, "arg1", value, &BTreeMap::new())
    }

    #[test]
    fn suggests_values_starting_with_what_was_typed() {
        assert_eq!(arg1("test"), ["test", "testValue1", "testValue2"]);
        assert_eq!(arg1("ex"), ["example"]);
        assert_eq!(arg1("").len(), ARG1_VALUES.len());
        assert!(arg1("zzz").is_empty());
    }

    #[test]
    fn other_targets_get_nothing() {
        let template = CompletionTarget::ResourceTemplate("test://template/{id}/data".into());
        assert!(complete(&template, "id", "1", &BTreeMap::new()).is_empty());
    }
}
