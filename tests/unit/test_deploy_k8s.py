"""deploy/k8s: the Kustomize base and production overlay, checked offline at the YAML level.

Every Deployment runs its service from the one image on its port with /readyz and /healthz probes, resources
and secrets by reference only; every consuming service scales on the lag of exactly the consumer groups and
topics its code subscribes to, up to the partition count the topics are created with."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from services.cases.settings import Settings as CasesSettings
from services.gateway.settings import AREAS, GATEWAY_API_PATHS
from services.gateway.settings import Settings as GatewaySettings
from shared.settings import TracsSettings
from tracs.stack import DEFAULT_PORTS, SERVICES

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy" / "k8s" / "base"
OVERLAY = ROOT / "deploy" / "k8s" / "overlays" / "production"
PROCESSES = (*SERVICES, "gateway")
PORTS = {**DEFAULT_PORTS, "gateway": 8000}
# Peak RSS per process in MiB, the largest of the runs in docs/performance.md; limits keep 1.5x headroom.
PEAK_RSS_MIB = {"gateway": 173, "intake": 335, "cases": 314, "disclosure": 707, "redress": 581, "reporting": 262}
SECRET_VARIABLES = {
    "TRACS_JWT_SECRET",
    "TRACS_DATABASE_URL",
    "TRACS_REPORTING_SUBJECT_DIGEST_KEY",
    "TRACS_OIDC_PUBLIC_KEY",
    "TRACS_POSTGRES_PASSWORD",
}
CPU_SCALED = {"gateway", "intake"}  # HTTP load; intake's one subscription is a tiny projection


def _load(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _base() -> list[dict]:
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    return [doc for name in kustomization["resources"] for doc in _load(BASE / name)]


def _rendered_overlay() -> list[dict]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: the overlay is checked by test_overlay_patches_name_base_resources")
    done = subprocess.run([kubectl, "kustomize", str(OVERLAY)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def _of(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def _mib(quantity: str) -> float:
    units = {"Mi": 1, "Gi": 1024, "M": 1e6 / 2**20, "G": 1e9 / 2**20}
    for unit, factor in units.items():
        if quantity.endswith(unit):
            return float(quantity.removesuffix(unit)) * factor
    return float(quantity) / 2**20


def _subscriptions(service: str) -> set[tuple[str, str]]:
    """(consumer group, topic) of every subscription the service's code makes."""
    consumers = __import__(f"services.{service}.consumers", fromlist=["_"])
    if service == "cases":
        subs = consumers.subscriptions(CasesSettings())
    elif service == "reporting":
        subs = consumers.subscriptions(b"key")
    elif service == "gateway":
        subs = consumers.subscriptions(GatewaySettings())
    else:
        subs = consumers.SUBSCRIPTIONS
    return {(f"tracs-{service}.{sub.name}", topic) for sub in subs for topic in sub.topics}


@pytest.fixture(params=["base", "production"])
def docs(request: pytest.FixtureRequest) -> list[dict]:
    return _base() if request.param == "base" else _rendered_overlay()


def _check_deployments(docs: list[dict]) -> None:
    deployments = _of(docs, "Deployment")
    assert set(deployments) == set(PROCESSES)
    images = set()
    for name, dep in deployments.items():
        pod = dep["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        images.add(container["image"])
        port = PORTS[name]
        assert container["command"] == ["python", "-m", f"services.{name}"]
        assert [p["containerPort"] for p in container["ports"]] == [port]
        env = {e["name"]: e for e in container["env"]}
        assert env[f"TRACS_{name.upper()}_PORT"]["value"] == str(port)
        assert env[f"TRACS_{name.upper()}_HOST"]["value"] == "0.0.0.0"
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port}
        resources = container["resources"]
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources[kind]), f"{name}: {kind}"
        assert _mib(resources["limits"]["memory"]) >= 1.5 * PEAK_RSS_MIB[name], name
        assert _mib(resources["requests"]["memory"]) >= PEAK_RSS_MIB[name], name
        assert env["TRACS_JWT_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "tracs-secrets"
        # Key rotation: the previous key, when the Secret has one (docs/operations.md, "Rotate secrets").
        assert env["TRACS_JWT_PREVIOUS_SECRET"]["valueFrom"]["secretKeyRef"] == {
            "name": "tracs-secrets",
            "key": "jwt-previous-secret",
            "optional": True,
        }
        assert env["TRACS_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "tracs-secrets"
    assert len(images) == 1, f"one image for every process: {images}"
    disclosure = deployments["disclosure"]["spec"]["template"]["spec"]
    env = {e["name"]: e.get("value") for e in disclosure["containers"][0]["env"]}
    mounts = {m["name"]: m["mountPath"] for m in disclosure["containers"][0]["volumeMounts"]}
    secret_volumes = {v["name"]: v["secret"]["secretName"] for v in disclosure["volumes"] if "secret" in v}
    assert secret_volumes == {"office": "tracs-disclosure-office"}
    for var in ("TRACS_DISCLOSURE_OFFICE_CERTIFICATE", "TRACS_DISCLOSURE_OFFICE_KEY"):
        assert Path(env[var]).parent == Path(mounts["office"])


def test_every_service_runs_from_the_one_image_with_probes_on_its_port_and_resources(docs: list[dict]) -> None:
    _check_deployments(docs)


def test_no_secret_value_is_written_in_a_manifest(docs: list[dict]) -> None:
    assert _of(docs, "Secret") == {}, "Secrets are created in the cluster, never kept here"
    for doc in docs:
        for key in _of([doc], "ConfigMap").get(doc["metadata"]["name"], {}).get("data", {}):
            assert key not in SECRET_VARIABLES, f"{key} in a ConfigMap"
        for pod in _pod_specs(doc):
            for container in pod["containers"] + pod.get("initContainers", []):
                for env in container.get("env", []):
                    if env["name"] in SECRET_VARIABLES or "KEY" in env["name"] or "SECRET" in env["name"]:
                        assert "value" not in env or env["name"].startswith("TRACS_DISCLOSURE_OFFICE_"), env
                        if "valueFrom" in env:
                            assert "secretKeyRef" in env["valueFrom"], env


def _pod_specs(doc: dict) -> list[dict]:
    if doc["kind"] in ("Deployment", "Job"):
        return [doc["spec"]["template"]["spec"]]
    return []


def test_services_and_pod_disruption_budgets_select_their_pods(docs: list[dict]) -> None:
    deployments = _of(docs, "Deployment")
    services, pdbs = _of(docs, "Service"), _of(docs, "PodDisruptionBudget")
    assert set(pdbs) == set(PROCESSES) and set(services) == {*PROCESSES, "witness"}
    for name, dep in deployments.items():
        labels = dep["spec"]["template"]["metadata"]["labels"]
        assert services[name]["spec"]["ports"][0]["port"] == PORTS[name]
        assert services[name]["spec"]["selector"].items() <= labels.items()
        assert pdbs[name]["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert pdbs[name]["spec"].get("maxUnavailable") == 1, "a one-replica consumer must still let a node drain"
    gateway = deployments["gateway"]["spec"]["template"]["spec"]["containers"][0]["env"]
    urls = {
        e["name"]: e["value"] for e in gateway if e["name"].startswith("TRACS_GATEWAY_") and e["name"].endswith("_URL")
    }
    assert urls == {f"TRACS_GATEWAY_{s.upper()}_URL": f"http://{s}:{PORTS[s]}" for s in SERVICES}
    (ingress,) = _of(docs, "Ingress").values()
    paths = {p["path"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]}
    assert not paths & {"/", "/metrics", "/healthz", "/readyz"}


def test_the_ingress_routes_each_api_area_straight_to_its_owner_and_the_gateway_keeps_its_own(
    docs: list[dict],
) -> None:
    (ingress,) = _of(docs, "Ingress").values()
    routes = {
        p["path"]: (p["pathType"], p["backend"]["service"]["name"])
        for r in ingress["spec"]["rules"]
        for p in r["http"]["paths"]
    }
    for area, owner in AREAS.items():
        assert routes.pop(f"/api/v1/{area}") == ("Prefix", owner), area
    assert routes.pop("/api/v1/subjects/[^/]+/export") == ("ImplementationSpecific", "gateway")
    assert all(backend == "gateway" for _, backend in routes.values()), routes
    # Every gateway API path the local edge (Caddy) sends to the gateway is routed to it here too.
    for pattern in GATEWAY_API_PATHS:
        prefix = pattern.split("/*", 1)[0]
        assert prefix in routes or "/export" in pattern, pattern
    services = _of(docs, "Service")
    assert {backend for _, backend in routes.values()} <= set(services)


def test_the_production_ingress_sets_rate_limits_and_lets_the_export_path_be_a_regex() -> None:
    (patch,) = _load(OVERLAY / "ingress.yaml")
    annotations = patch["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/use-regex"] == "true"
    assert int(annotations["nginx.ingress.kubernetes.io/limit-rps"]) > 0


def test_a_migration_job_per_service_and_one_for_topics_run_in_phases(docs: list[dict]) -> None:
    jobs = _of(docs, "Job")
    assert set(jobs) == {"topics", *(f"migrate-{name}" for name in PROCESSES)}
    for name in PROCESSES:
        job = jobs[f"migrate-{name}"]
        assert job["metadata"]["labels"]["tracs.io/phase"] == "migrate"
        (container,) = job["spec"]["template"]["spec"]["containers"]
        assert container["command"] == ["tracs", "migrate", name]
    assert jobs["topics"]["spec"]["template"]["spec"]["containers"][0]["command"] == ["tracs", "topics", "create"]
    assert jobs["topics"]["metadata"]["labels"]["tracs.io/phase"] == "topics"
    config = _of(docs, "ConfigMap")["tracs-config"]
    assert config["data"]["TRACS_MIGRATE_ON_START"] == "false", "the Jobs migrate, not the services"
    for doc in docs:
        assert doc["metadata"]["labels"]["tracs.io/phase"] in {"config", "topics", "migrate", "run"}, doc["kind"]


def test_scaled_objects_follow_the_code_subscriptions_up_to_the_partition_count(docs: list[dict]) -> None:
    """The partitions per topic and the replica ceiling agree."""
    data = _of(docs, "ConfigMap")["tracs-config"]["data"]
    partitions = int(data["TRACS_TOPIC_PARTITIONS"])
    prefix = data.get("TRACS_TOPIC_PREFIX", "")
    scaled = _of(docs, "ScaledObject")
    consuming = {name for name in PROCESSES if name != "gateway" and _subscriptions(name)}
    assert set(scaled) == consuming - CPU_SCALED
    for name, obj in scaled.items():
        spec = obj["spec"]
        assert spec["scaleTargetRef"]["name"] == name
        assert spec["minReplicaCount"] == 1
        assert spec["maxReplicaCount"] == partitions, f"{name}: ceiling {spec['maxReplicaCount']} != {partitions}"
        triggers = {(t["metadata"]["consumerGroup"], t["metadata"]["topic"]) for t in spec["triggers"]}
        assert triggers == {(prefix + g, prefix + t) for g, t in _subscriptions(name)}, name
        for trigger in spec["triggers"]:
            assert trigger["type"] == "kafka"
            assert trigger["metadata"]["bootstrapServersFromEnv"] == "TRACS_KAFKA_BOOTSTRAP"
            assert trigger["metadata"]["allowIdleConsumers"] == "false"
    hpas = _of(docs, "HorizontalPodAutoscaler")
    assert set(hpas) == CPU_SCALED
    for name, hpa in hpas.items():
        assert hpa["spec"]["scaleTargetRef"]["name"] == name
        assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    # The topics Job creates the topics from the same ConfigMap, with no other count.
    topics = _of(docs, "Job")["topics"]["spec"]["template"]["spec"]["containers"][0]
    assert topics["envFrom"] == [{"configMapRef": {"name": "tracs-config"}}]
    assert not any(arg.startswith("--partitions") for arg in topics["command"])


def test_the_base_partition_count_is_the_settings_default() -> None:
    data = _of(_base(), "ConfigMap")["tracs-config"]["data"]
    assert int(data["TRACS_TOPIC_PARTITIONS"]) == TracsSettings.model_fields["topic_partitions"].default


def test_overlay_patches_name_base_resources() -> None:
    kustomization = yaml.safe_load((OVERLAY / "kustomization.yaml").read_text())
    assert kustomization["resources"] == ["../../base"]
    base = {(d["kind"], d["metadata"]["name"]) for d in _base()}
    for patch in kustomization["patches"]:
        for doc in _load(OVERLAY / patch["path"]):
            assert (doc["kind"], doc["metadata"]["name"]) in base, patch["path"]
    assert {image["name"] for image in kustomization["images"]} == {"tracs"}
    used = {c["image"] for d in _base() for pod in _pod_specs(d) for c in pod["containers"]}
    assert used == {"tracs"}


def test_the_gateways_checkpoint_archive_is_a_file_per_replica_on_a_shared_volume(docs: list[dict]) -> None:
    """The root filesystem is read-only: without the volume the gateway could not keep a checkpoint file."""
    pod = _of(docs, "Deployment")["gateway"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    env = {e["name"]: e for e in container["env"]}
    names = [e["name"] for e in container["env"]]
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert names.index("POD_NAME") < names.index("TRACS_AUDIT_CHECKPOINT_FILE")  # $(POD_NAME) expands
    archive = Path(env["TRACS_AUDIT_CHECKPOINT_FILE"]["value"])
    assert "$(POD_NAME)" in archive.name and archive.suffix == ".jsonl"
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    claims = {
        v["name"]: v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v
    }
    (volume,) = [name for name, path in mounts.items() if Path(path) == archive.parent]
    claim = _of(docs, "PersistentVolumeClaim")[claims[volume]]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]  # every replica writes its own file there


def test_the_witness_runs_apart_with_its_own_key_and_volume_and_services_know_where(docs: list[dict]) -> None:
    """Not a service's database nor its key: one replica keeping its state on its own volume."""
    (witness,) = _of(docs, "StatefulSet").values()
    pod = witness["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert witness["spec"]["replicas"] == 1
    assert container["command"][:3] == ["python", "-m", "tracs.witness"]
    state = container["command"][container["command"].index("--dir") + 1]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["state"] == state and [t["metadata"]["name"] for t in witness["spec"]["volumeClaimTemplates"]] == [
        "state"
    ]
    key = container["command"][container["command"].index("--key") + 1]
    (secret,) = [v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v]
    assert Path(key).parent == Path(mounts["key"]) and secret == "tracs-witness-key"
    assert not any(e["name"] in ("TRACS_DATABASE_URL", "TRACS_AUDIT_SIGNING_KEY") for e in container["env"])
    data = _of(docs, "ConfigMap")["tracs-config"]["data"]
    assert data["TRACS_AUDIT_WITNESS_URL"] == f"http://witness:{PORTS['witness']}"


def test_notification_mail_links_to_the_ingress_host_and_leaves_through_the_relay() -> None:
    """The console's public address is the production ingress's TLS host; mail goes by disclosure's relay."""
    (config,) = _load(OVERLAY / "config.yaml")
    (ingress,) = _load(OVERLAY / "ingress.yaml")
    (host,) = ingress["spec"]["tls"][0]["hosts"]
    data = config["data"]
    assert data["TRACS_GATEWAY_CONSOLE_URL"] == f"https://{host}"
    assert data["TRACS_GATEWAY_SMTP_HOST"] == data["TRACS_DISCLOSURE_SMTP_HOST"]
    assert data["TRACS_GATEWAY_SMTP_PORT"] == data["TRACS_DISCLOSURE_SMTP_PORT"]
    for name in ("console_url", "smtp_host", "smtp_port"):
        assert name in GatewaySettings.model_fields
