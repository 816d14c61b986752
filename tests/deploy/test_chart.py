"""deploy/helm/moat rendered by helm itself (`helm template`, `helm lint`)
with several value sets, every object validated offline against the
Kubernetes JSON schemas (kubernetes-validate's bundled ones, strict: no
unknown field), and what matters asserted on the parsed objects."""

import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from conftest import REPO

CHART = REPO / "deploy" / "helm" / "moat"
# The oldest Kubernetes the chart's kubeVersion admits that kubernetes-validate
# has schemas for, and a recent one.
KUBERNETES = ["1.25.0", "1.33.0"]

VALUE_SETS = {
    "defaults": {},
    "hpa": {
        "autoscaling": {"enabled": True, "podsMetric": {"enabled": True}},
        "metrics": {"enabled": True},
    },
    "auth-and-policy": {
        "auth": {"mode": "oauth", "oauthConfig": 'issuer = "https://id.example.com"\n', "clientSecretSecret": "oauth"},
        "policy": "permit(principal, action, resource);\n",
        "plugins": [
            {"name": "math", "reference": "oci://registry.example.com/acme/math:1.0"},
            {"name": "fetch", "reference": "https://example.com/fetch.wasm#sha256=" + "0" * 64},
        ],
        "manifests": {"math": '[limits]\ntimeout = "2s"\n'},
        "pull": {"trust": '[keys.release]\npublic_key = "x"\n', "registryTokenSecret": "registry"},
        "stateKey": {"existingSecret": "moat-state"},
        "extraArgs": ["--rate-limit-identity", "120/min"],
        "env": [{"name": "RUST_LOG", "value": "info"}],
    },
    "locked": {"pull": {"lock": "# moat.lock\n"}, "manifests": {"math": "\n"},
               "podDisruptionBudget": {"maxUnavailable": 1}},
}


def run_helm(helm_bin: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(helm_bin), *args], capture_output=True, text=True, timeout=120)


def values_file(tmp_path: Path, values: dict) -> Path:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    return path


def render(helm_bin: Path, tmp_path: Path, values: dict) -> dict[str, dict]:
    done = run_helm(helm_bin, "template", "prod", str(CHART), "--namespace", "mcp", "-f", str(values_file(tmp_path, values)))
    assert done.returncode == 0, done.stderr
    objects = [o for o in yaml.safe_load_all(done.stdout) if o]
    by_kind = {}
    for o in objects:
        assert o["kind"] not in by_kind, f"two {o['kind']}s"
        by_kind[o["kind"]] = o
    return by_kind


@pytest.mark.parametrize("name", VALUE_SETS)
def test_the_chart_lints_and_every_object_fits_the_schemas(helm_bin, tmp_path, name):
    values = values_file(tmp_path, VALUE_SETS[name])
    lint = run_helm(helm_bin, "lint", "--strict", str(CHART), "-f", str(values))
    assert lint.returncode == 0, lint.stdout + lint.stderr
    objects = render(helm_bin, tmp_path, VALUE_SETS[name])
    for kind, obj in objects.items():
        for version in KUBERNETES:
            # Raises ValidationError, naming the field, on a bad object.
            kubernetes_validate.validate(obj, version, strict=True)
    assert {"Deployment", "Service", "PodDisruptionBudget"} <= set(objects)


def pod(objects: dict) -> dict:
    return objects["Deployment"]["spec"]["template"]["spec"]


def flags(container: dict) -> list[str]:
    return container["args"]


def test_defaults_probe_and_lock_down_the_pod(helm_bin, tmp_path):
    objects = render(helm_bin, tmp_path, {})
    assert set(objects) == {"Deployment", "Service", "PodDisruptionBudget"}
    spec = pod(objects)
    moat = spec["containers"][0]
    assert moat["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert moat["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert moat["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    context = moat["securityContext"]
    assert context["runAsNonRoot"] is True and context["runAsUser"] == 65532
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["automountServiceAccountToken"] is False
    assert moat["resources"]["limits"]["memory"] and moat["resources"]["requests"]["cpu"]
    args = flags(moat)
    assert args[0] == "serve" and "--http=0.0.0.0:8080" in args
    assert "--token-file=/run/secrets/moat/token" in args
    assert "--allow-host=prod-moat.mcp.svc.cluster.local" in args
    mounts = {m["mountPath"]: m for m in moat["volumeMounts"]}
    assert mounts["/plugins"]["readOnly"] is True and "readOnly" not in mounts["/cache"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["plugins"] == {"name": "plugins", "emptyDir": {}}
    assert volumes["token"]["secret"]["secretName"] == "moat-token"
    assert objects["Deployment"]["spec"]["replicas"] == 2
    assert objects["PodDisruptionBudget"]["spec"]["minAvailable"] == 1
    selector = objects["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"]
    assert selector.items() <= objects["Deployment"]["spec"]["template"]["metadata"]["labels"].items()
    assert objects["Service"]["spec"]["selector"] == selector


def test_hpa_scales_on_cpu_and_a_moat_metric(helm_bin, tmp_path):
    objects = render(helm_bin, tmp_path, VALUE_SETS["hpa"])
    hpa = objects["HorizontalPodAutoscaler"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"]["name"] == objects["Deployment"]["metadata"]["name"]
    kinds = {m["type"]: m for m in hpa["spec"]["metrics"]}
    assert kinds["Resource"]["resource"]["name"] == "cpu"
    assert kinds["Pods"]["pods"]["metric"]["name"] == "moat_http_sessions_open"
    # The HPA owns the replica count.
    assert "replicas" not in objects["Deployment"]["spec"]
    assert "--http-metrics" in flags(pod(objects)["containers"][0])


def test_a_pods_metric_without_metrics_is_refused(helm_bin, tmp_path):
    values = values_file(tmp_path, {"autoscaling": {"enabled": True, "podsMetric": {"enabled": True}}})
    done = run_helm(helm_bin, "template", "prod", str(CHART), "-f", str(values))
    assert done.returncode != 0 and "metrics.enabled" in done.stderr


def test_auth_policy_and_pulled_plugins(helm_bin, tmp_path):
    objects = render(helm_bin, tmp_path, VALUE_SETS["auth-and-policy"])
    spec = pod(objects)
    init = spec["initContainers"]
    assert [c["name"] for c in init] == ["pull-math", "pull-fetch"]
    math = init[0]
    assert math["args"][:2] == ["pull", "oci://registry.example.com/acme/math:1.0"]
    assert "--name=math" in math["args"] and "--plugins=/plugins" in math["args"]
    assert "--trust=/etc/moat/trust.toml" in math["args"]
    assert "--registry-token-file=/run/secrets/moat-registry/token" in math["args"]
    assert math["image"] == spec["containers"][0]["image"]
    assert math["securityContext"]["readOnlyRootFilesystem"] is True
    init_mounts = {m["mountPath"]: m for m in math["volumeMounts"]}
    # The init container writes the plugin volume; the manifest is checked there.
    assert "readOnly" not in init_mounts["/plugins"]
    assert init_mounts["/plugins/math.toml"]["subPath"] == "manifest-math.toml"
    moat = spec["containers"][0]
    args = flags(moat)
    assert "--auth=/etc/moat/auth.toml" in args and not any(a.startswith("--token-file") for a in args)
    assert "--policy=/etc/moat/policy.cedar" in args
    assert "--state-key-file=/run/secrets/moat-state/key" in args
    assert args[-2:] == ["--rate-limit-identity", "120/min"]
    assert moat["env"] == [{"name": "RUST_LOG", "value": "info"}]
    data = objects["ConfigMap"]["data"]
    assert data["policy.cedar"] == VALUE_SETS["auth-and-policy"]["policy"]
    assert data["manifest-math.toml"] == VALUE_SETS["auth-and-policy"]["manifests"]["math"]
    assert data["auth.toml"].startswith("issuer")
    mounts = {m["mountPath"]: m for m in moat["volumeMounts"]}
    assert mounts["/etc/moat/policy.cedar"]["subPath"] == "policy.cedar"
    assert mounts["/plugins/math.toml"]["readOnly"] is True
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert "token" not in volumes
    assert volumes["state-key"]["secret"]["secretName"] == "moat-state"
    assert volumes["oauth-client-secret"]["secret"]["secretName"] == "oauth"
    assert mounts["/run/secrets/moat-oauth"]["readOnly"] is True
    assert volumes["config"]["configMap"]["name"] == objects["ConfigMap"]["metadata"]["name"]


def test_a_lock_pulls_at_its_digests_and_serves_locked(helm_bin, tmp_path):
    objects = render(helm_bin, tmp_path, VALUE_SETS["locked"])
    spec = pod(objects)
    (init,) = spec["initContainers"]
    assert init["args"] == ["pull", "--plugins=/plugins", "--cache=/cache", "--locked"]
    assert any(m["mountPath"] == "/plugins/moat.lock" for m in init["volumeMounts"])
    assert "--locked" in flags(spec["containers"][0])
    assert objects["PodDisruptionBudget"]["spec"] == {
        "maxUnavailable": 1,
        "selector": objects["PodDisruptionBudget"]["spec"]["selector"],
    }


@pytest.mark.parametrize("values, says", [
    ({"auth": {"mode": "none"}}, "auth.mode"),
    ({"auth": {"mode": "oauth"}}, "auth.oauthConfig"),
    ({"auth": {"existingSecret": ""}}, "auth.existingSecret"),
    ({"plugins": [{"name": "../x", "reference": "oci://r/x:1"}]}, "not a plugin name"),
    ({"manifests": {"A B": "x"}}, "not a plugin name"),
])
def test_unsafe_or_incomplete_values_are_refused(helm_bin, tmp_path, values, says):
    done = run_helm(helm_bin, "template", "prod", str(CHART), "-f", str(values_file(tmp_path, values)))
    assert done.returncode != 0 and says in done.stderr, done.stderr


def test_the_schema_check_catches_a_bad_object(helm_bin, tmp_path):
    # The validation above can fail: an unknown field, or a wrong type, in a
    # rendered object is refused.
    deployment = render(helm_bin, tmp_path, {})["Deployment"]
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["runAsRoot"] = False
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES[-1], strict=True)
    deployment = render(helm_bin, tmp_path, {})["Deployment"]
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES[-1], strict=True)
