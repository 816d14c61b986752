use oci_client::manifest::{OciDescriptor, OciImageIndex, OciImageManifest};

use crate::pull::artifact::{Component, SUGGESTED_MANIFEST, select, wasm_entry};

fn layer(media_type: &str) -> OciDescriptor {
    OciDescriptor {
        media_type: media_type.into(),
        digest: format!("sha256:{}", "0".repeat(64)),
        size: 10,
        ..OciDescriptor::default()
    }
}

fn image(types: &[&str]) -> OciImageManifest {
    OciImageManifest {
        layers: types.iter().map(|t| layer(t)).collect(),
        ..OciImageManifest::default()
    }
}

#[test]
fn each_wasm_media_type_is_a_component_layer() {
    for media_type in [
        "application/wasm",
        "application/vnd.wasm.content.layer.v1+wasm",
        "application/vnd.module.wasm.content.layer.v1+wasm",
    ] {
        let (component, suggested) = select(&image(&[media_type])).unwrap();
        assert!(matches!(component, Component::Wasm(l) if l.media_type == media_type));
        assert!(suggested.is_none());
    }
}

#[test]
fn a_plain_single_layer_image_is_a_tar_component() {
    for (media_type, gzipped) in [
        ("application/vnd.oci.image.layer.v1.tar", false),
        ("application/vnd.oci.image.layer.v1.tar+gzip", true),
        ("application/vnd.docker.image.rootfs.diff.tar.gzip", true),
    ] {
        let (component, _) = select(&image(&[media_type])).unwrap();
        assert!(
            matches!(component, Component::Tar { gzip, .. } if gzip == gzipped),
            "{media_type}"
        );
    }
}

#[test]
fn a_suggested_manifest_is_picked_out_beside_the_component() {
    let (component, suggested) = select(&image(&[SUGGESTED_MANIFEST, "application/wasm"])).unwrap();
    assert!(matches!(component, Component::Wasm(_)));
    assert_eq!(suggested.unwrap().media_type, SUGGESTED_MANIFEST);
}

#[test]
fn anything_else_is_refused_naming_the_media_types() {
    for (types, reason) in [
        (&["application/wasm", "application/wasm"][..], "2 layers"),
        (&["application/wasm", "text/plain"][..], "2 layers"),
        (
            &[
                "application/vnd.oci.image.layer.v1.tar",
                "application/vnd.oci.image.layer.v1.tar",
            ][..],
            "2 layers",
        ),
        (&["text/plain"][..], "no component layer"),
        (&[][..], "no component layer"),
        (&[SUGGESTED_MANIFEST][..], "no component layer"),
        (
            &[SUGGESTED_MANIFEST, SUGGESTED_MANIFEST, "application/wasm"][..],
            "more than one suggested",
        ),
    ] {
        let error = select(&image(types)).unwrap_err().to_string();
        assert!(error.contains(reason), "{types:?}: {error}");
        assert!(
            error.contains(&format!("found layers: [{}]", types.join(", "))),
            "{error}"
        );
    }
}

fn index(platforms: &[(&str, &str)]) -> OciImageIndex {
    serde_json::from_value(serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": platforms.iter().enumerate().map(|(i, (os, arch))| serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": format!("sha256:{}", i.to_string().repeat(64)),
            "size": 100,
            "platform": {"os": os, "architecture": arch},
        })).collect::<Vec<_>>(),
    }))
    .unwrap()
}

#[test]
fn an_index_resolves_to_its_one_wasm_entry() {
    let index = index(&[("linux", "amd64"), ("wasip2", "wasm")]);
    assert_eq!(
        wasm_entry(&index).unwrap(),
        format!("sha256:{}", "1".repeat(64))
    );
}

#[test]
fn an_index_with_no_or_two_wasm_entries_is_refused_naming_them() {
    let error = wasm_entry(&index(&[("linux", "amd64")]))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("0 entries for architecture wasm") && error.contains("linux/amd64"),
        "{error}"
    );
    let error = wasm_entry(&index(&[("wasip1", "wasm"), ("wasip2", "wasm")]))
        .unwrap_err()
        .to_string();
    assert!(error.contains("2 entries for architecture wasm"), "{error}");
}
