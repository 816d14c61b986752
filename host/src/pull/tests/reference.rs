use proptest::prelude::*;

use crate::pull::reference::{Reference, check_name, parse_digest};

const HEX: &str = "19dfd273e2536b296a827b5eb9500bc5ae099faaf0be5c2f0405420437772ebd";

fn oci(text: &str) -> crate::pull::reference::OciReference {
    match Reference::parse(text).unwrap() {
        Reference::Oci(oci) => oci,
        Reference::Url(url) => panic!("{text} parsed as a URL: {url:?}"),
    }
}

#[test]
fn oci_references_name_registry_repository_tag_and_digest() {
    let r = oci("oci://127.0.0.1:5000/moat/math:1.0");
    assert_eq!(r.registry, "127.0.0.1:5000");
    assert_eq!(r.repository, "moat/math");
    assert_eq!(r.tag.as_deref(), Some("1.0"));
    assert_eq!(r.digest, None);
    assert_eq!(r.repository_path(), "127.0.0.1:5000/moat/math");
    let r = oci(&format!("oci://ghcr.io/acme/tools/math@sha256:{HEX}"));
    assert_eq!(r.repository, "acme/tools/math");
    assert_eq!((r.tag, r.digest), (None, Some(format!("sha256:{HEX}"))));
    let r = oci(&format!("oci://localhost:5000/math:v2@sha256:{HEX}"));
    assert_eq!(r.tag.as_deref(), Some("v2"));
    assert!(r.digest.is_some());
}

#[test]
fn bad_references_are_refused() {
    for bad in [
        "math.wasm",
        "docker://ghcr.io/acme/math:1.0",
        "oci://ghcr.io/acme/math",
        "oci://math:1.0",
        "oci://acme/math:1.0",
        "oci://ghcr.io/Acme/math:1.0",
        "oci://ghcr.io/acme/../math:1.0",
        "oci://ghcr.io//math:1.0",
        "oci://ghcr.io/acme/math:",
        "oci://ghcr.io/acme/math:-x",
        "oci://ghcr.io/acme/math@sha256:abc",
        "oci://ghcr.io/acme/math@sha512:00",
        "oci://user@ghcr.io/acme/math:1.0",
        "https://example.com/math.wasm",
        "https://example.com/math.wasm#sha256=ABC",
        "https://user:pw@example.com/math.wasm#sha256=19dfd273e2536b296a827b5eb9500bc5ae099faaf0be5c2f0405420437772ebd",
    ] {
        assert!(Reference::parse(bad).is_err(), "{bad} was accepted");
    }
}

#[test]
fn names_come_from_the_repository_or_the_file() {
    let name = |text: &str| Reference::parse(text).unwrap().default_name().unwrap();
    assert_eq!(name("oci://127.0.0.1:5000/moat/math:1.0"), "math");
    assert_eq!(name("oci://ghcr.io/acme/my-tool:1"), "my-tool");
    assert_eq!(
        name(&format!("https://example.com/dl/calc.wasm#sha256={HEX}")),
        "calc"
    );
    assert_eq!(
        name(&format!("https://example.com/dl/calc#sha256={HEX}")),
        "calc"
    );
    // A repository segment with a dot is no plain file stem: --name is needed.
    let dotted = Reference::parse("oci://ghcr.io/acme/math.v1:1").unwrap();
    assert!(dotted.default_name().is_err());
    let empty = Reference::parse(&format!("https://example.com/#sha256={HEX}")).unwrap();
    assert!(empty.default_name().is_err());
}

#[test]
fn plugin_names_are_plain_file_stems() {
    for good in ["math", "my-tool", "tool_2", "A1"] {
        check_name(good).unwrap();
    }
    for bad in [
        "",
        "../math",
        "a/b",
        ".hidden",
        "-x",
        "math.wasm",
        "é",
        &"x".repeat(65),
    ] {
        assert!(check_name(bad).is_err(), "{bad} was accepted");
    }
}

#[test]
fn only_sha256_digests_are_accepted() {
    parse_digest(&format!("sha256:{HEX}")).unwrap();
    for bad in [
        "sha256:",
        "md5:00",
        &format!("sha256:{}", HEX.to_uppercase()),
        &format!("sha256:{HEX}0"),
    ] {
        assert!(parse_digest(bad).is_err(), "{bad} was accepted");
    }
}

#[test]
fn loopback_is_127_slash_8_ipv6_one_and_localhost_only() {
    for (registry, loopback) in [
        ("127.0.0.1:5000", true),
        ("127.1:5000", true),
        ("127.255.0.9", true),
        ("[::1]:5000", true),
        ("localhost:5000", true),
        ("LOCALHOST:5000", true),
        ("localhost.evil.com:5000", false),
        ("127.0.0.1.nip.io:5000", false),
        ("10.0.0.1:5000", false),
        ("[::2]:5000", false),
        ("0.0.0.0:5000", false),
        ("ghcr.io", false),
    ] {
        let r = oci(&format!("oci://{registry}/moat/math:1"));
        assert_eq!(r.is_loopback(), loopback, "{registry}");
    }
    let url = |host: &str| match Reference::parse(&format!("http://{host}/m.wasm#sha256={HEX}"))
        .unwrap()
    {
        Reference::Url(url) => url.is_loopback(),
        Reference::Oci(_) => unreachable!(),
    };
    assert!(url("127.1:8080") && url("[::1]") && url("localhost"));
    assert!(!url("localhost.evil.com") && !url("example.com"));
}

proptest! {
    /// Parsing never panics, and any name it derives is a plain file stem.
    #[test]
    fn parsing_any_text_never_panics(text in "(oci://|https://|http://)?[a-zA-Z0-9:/@._#=-]{0,80}") {
        if let Ok(reference) = Reference::parse(&text)
            && let Ok(name) = reference.default_name()
        {
            prop_assert!(check_name(&name).is_ok());
        }
    }
}
