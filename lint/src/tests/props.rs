use proptest::prelude::*;

use crate::visible::{is_invisible, is_tag};
use crate::{Item, Kind, Options, OtherTool, decode_tags, lint, normalize, shadowing, visible};

fn tag_encode(text: &str) -> String {
    text.chars()
        .map(|c| char::from_u32(0xE0000 + c as u32).unwrap())
        .collect()
}

proptest! {
    #[test]
    fn lint_never_panics_on_any_text(text in any::<String>(), name in any::<String>()) {
        let item = Item::new(Kind::Tool, name.clone())
            .name_text("name", &name)
            .prose("description", Some(&text))
            .param("arguments/0", &name, Some(&text))
            .schema("inputSchema", &serde_json::json!({"properties": {name.clone(): {"description": text.clone()}}}));
        let _ = lint(std::slice::from_ref(&item), &Options { max_description: 3 });
        let _ = shadowing(&[item], &[OtherTool { name: text.clone(), plugin: name }]);
        let _ = normalize(&text);
    }

    #[test]
    fn tag_encoded_ascii_is_always_decoded_back(text in "[ -~]{1,60}", before in "[a-z ]{0,10}") {
        let hidden = tag_encode(&text);
        prop_assert_eq!(decode_tags(&format!("{before}{hidden}")), text.clone());
        let shown = visible(&format!("{before}{hidden}"));
        let expected = format!("[hidden tag text: {text:?}]");
        prop_assert!(shown.contains(&expected), "{} lacks {}", shown, expected);
        let findings = lint(&[Item::new(Kind::Tool, "t").prose("description", Some(&format!("{before}{hidden}")))], &Options::default());
        prop_assert!(findings.iter().any(|f| f.code == crate::Code::TagCharacters && f.text.contains(&expected)));
    }

    #[test]
    fn visible_text_has_no_invisible_characters(text in any::<String>()) {
        let shown = visible(&text);
        prop_assert!(!shown.chars().any(|c| is_invisible(c) || is_tag(c)));
    }

    #[test]
    fn invisible_characters_never_split_a_phrase(at in 0usize..28, hidden in prop::sample::select(vec!['\u{200B}', '\u{200C}', '\u{2060}', '\u{FEFF}', '\u{E0041}'])) {
        let phrase = "ignore previous instructions";
        let mut text: Vec<char> = phrase.chars().collect();
        text.insert(at.min(text.len()), hidden);
        let text: String = text.into_iter().collect();
        let findings = lint(&[Item::new(Kind::Tool, "t").prose("description", Some(&text))], &Options::default());
        prop_assert!(findings.iter().any(|f| f.code == crate::Code::Override), "{:?}", text);
    }
}
