"""The deployment files render and validate offline: the Helm chart (deploy/helm/recording-service) rendered by
Helm's own engine (helm-python-sdk: the Helm Go SDK in a wheel), linted, its values checked against its schema and
every manifest validated against the Kubernetes schemas (kubernetes-validate); the reference compose file
(deploy/compose.yaml) parsed by a Compose Specification implementation (compose-spec) and the HAProxy configuration
checked by `haproxy -c`. Then what matters for running as a cluster is asserted on the rendered objects.

No test leg (no service, database or store) is needed: nothing here uses the `leg` fixture.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from compose_spec import ComposeSpecification, PyCompose
from helm_python import chart as helm_chart
from helm_python.errors import HelmValuesError

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
CHART = DEPLOY / "helm" / "recording-service"
KUBERNETES_VERSION = "1.32.0"  # the kubectl this machine has; the chart asks for >= 1.25
SIGNING_KEY_SECRET = "recording-signing-key"
SECRET_ENV = {"RECORDING_DATABASE_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


def render(values: dict | None = None) -> list[dict]:
    manifests = helm_chart.Chart.load(CHART).render(values or {}, name="rs", namespace="evidence", is_install=True)
    documents = []
    for path, text in sorted(manifests.items()):
        if path.endswith(".yaml"):
            documents += [document for document in yaml.safe_load_all(text) if document]
    return documents


def of_kind(documents: list[dict], kind: str) -> list[dict]:
    return [document for document in documents if document["kind"] == kind]


def named(documents: list[dict], kind: str, suffix: str) -> dict:
    (found,) = [document for document in of_kind(documents, kind) if document["metadata"]["name"].endswith(suffix)]
    return found


def pod_specs(documents: list[dict]) -> list[tuple[str, dict]]:
    """Every pod template: Deployments, the Job, CronJobs."""
    specs = []
    for document in documents:
        if document["kind"] in ("Deployment", "Job"):
            specs.append((document["metadata"]["name"], document["spec"]["template"]["spec"]))
        elif document["kind"] == "CronJob":
            specs.append((document["metadata"]["name"], document["spec"]["jobTemplate"]["spec"]["template"]["spec"]))
    return specs


def env_of(container: dict) -> dict[str, dict]:
    return {item["name"]: item for item in container.get("env", [])}


@pytest.fixture(scope="module")
def chart_default() -> list[dict]:
    return render()


@pytest.fixture(scope="module")
def chart_full() -> list[dict]:
    """The chart as a city would install it: ingress with TLS, a separate migration role, a MinIO-style endpoint."""
    return render(
        {
            "ingress": {"enabled": True, "host": "recording.example.gov.cn", "tlsSecretName": "recording-tls"},
            "metrics": {"tokenSecret": {"name": "recording-metrics"}},
            "database": {"existingSecret": "pg", "urlKey": "app-url", "migrationUrlKey": "owner-url", "appRole": "recording_app"},
            "storage": {"bucket": "evidence", "prefix": "city", "endpoint": "https://s3.example.gov.cn", "existingSecret": "s3"},
            "trustedProxies": "10.244.0.0/16",
            "api": {"replicas": 3},
            "worker": {"replicas": 2},
        }
    )


# ---- the chart: Helm's lint, the values schema, the Kubernetes schemas ----


def test_chart_lints_clean():
    report = helm_chart.lint(CHART, strict=True, kube_version=f"v{KUBERNETES_VERSION}")
    assert report["errors"] == []
    # severity 2 = warning, 3 = error (1 = info: "icon is recommended")
    assert [message for message in report["messages"] if message["severity"] >= 2] == []


@pytest.mark.parametrize("variant", ["chart_default", "chart_full"])
def test_every_manifest_is_valid_kubernetes(variant, request):
    documents = request.getfixturevalue(variant)
    kinds = sorted(document["kind"] for document in documents)
    assert {"Deployment", "Service", "PodDisruptionBudget", "Job", "ServiceAccount", "CronJob"} <= set(kinds)
    for document in documents:
        # strict: an unknown or misplaced field is an error, not silently dropped
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_invalid_manifest_is_caught():
    # The validator is not a formality: a misspelt field in a pod spec fails.
    deployment = named(render(), "Deployment", "-api")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = deployment["spec"]["template"]["spec"]["containers"][0][
        "readinessProbe"
    ]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize(
    "values, complaint",
    [
        ({"database": {"existingSecret": "pg", "urlKey": "url", "password": "secret"}}, "password"),
        ({"config": {"RECORDING_DATABASE_URL": "postgresql://app:secret@db/recording"}}, "RECORDING_DATABASE_URL"),
        ({"config": {"RECORDING_RUN_WORKER": "true"}}, "RECORDING_RUN_WORKER"),
        ({"config": {"AWS_SECRET_ACCESS_KEY": "secret"}}, "AWS_SECRET_ACCESS_KEY"),
        ({"storage": {"bucket": "evidence", "existingSecret": "s3", "secretAccessKey": "secret"}}, "secretAccessKey"),
        ({"api": {"replicas": 0}}, "replicas"),
    ],
)
def test_values_schema_refuses_inlined_secrets_and_nonsense(values, complaint):
    with pytest.raises(HelmValuesError, match=complaint):
        render(values)


# ---- what a cluster needs of the rendered objects ----


def test_secrets_are_referenced_never_inlined(chart_full):
    assert of_kind(chart_full, "Secret") == []
    for name, spec in pod_specs(chart_full):
        for container in spec["containers"]:
            env = env_of(container)
            for variable in SECRET_ENV & env.keys():
                assert set(env[variable]) == {"name", "valueFrom"}, f"{name}: {variable} is inlined"
                assert "secretKeyRef" in env[variable]["valueFrom"], f"{name}: {variable} not from a Secret"
            for item in env.values():  # no URL with a user and password in it
                assert not re.search(r"://[^/@\s]+:[^/@\s]+@", str(item.get("value", ""))), name
    assert "postgresql://" not in json.dumps(chart_full)


def test_database_and_store_come_from_the_named_secrets(chart_full):
    api = named(chart_full, "Deployment", "-api")["spec"]["template"]["spec"]["containers"][0]
    env = env_of(api)
    assert env["RECORDING_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "pg", "key": "app-url"}
    assert env["AWS_SECRET_ACCESS_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "s3"
    assert env["RECORDING_STORAGE_URL"]["value"] == "s3://evidence/city"
    assert env["RECORDING_S3_ENDPOINT_URL"]["value"] == "https://s3.example.gov.cn"
    assert env["RECORDING_TRUSTED_PROXIES"]["value"] == "10.244.0.0/16"


def test_every_deployment_has_probes_resources_and_the_signing_key(chart_full):
    deployments = of_kind(chart_full, "Deployment")
    assert len(deployments) == 2
    for deployment in deployments:
        name, spec = deployment["metadata"]["name"], deployment["spec"]["template"]["spec"]
        (container,) = spec["containers"]
        assert container.get("livenessProbe"), f"{name} has no liveness probe"
        resources = container["resources"]
        assert {"cpu", "memory"} <= resources["requests"].keys() and "memory" in resources["limits"], name
        # the one key, from the one Secret, read-only, where RECORDING_SIGNING_KEY_FILE points
        (volume,) = [volume for volume in spec["volumes"] if "secret" in volume]
        assert volume["secret"]["secretName"] == SIGNING_KEY_SECRET
        (mount,) = [mount for mount in container["volumeMounts"] if mount["name"] == volume["name"]]
        assert mount["readOnly"] is True
        key_file = env_of(container)["RECORDING_SIGNING_KEY_FILE"]["value"]
        assert key_file == f"{mount['mountPath']}/{volume['secret']['items'][0]['path']}"


def test_api_probes_readiness_and_liveness_and_drains(chart_full):
    deployment = named(chart_full, "Deployment", "-api")
    assert deployment["spec"]["replicas"] == 3
    spec = deployment["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["port"] == container["livenessProbe"]["httpGet"]["port"] == "http"
    # time for SIGTERM to drain the PATCHes in flight: longer than the upload lease (60 s) plus the preStop pause
    assert spec["terminationGracePeriodSeconds"] >= 120
    assert container["lifecycle"]["preStop"]["exec"]["command"][0] == "sleep"
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_the_api_runs_no_jobs_and_the_worker_serves_no_api(chart_full):
    api = named(chart_full, "Deployment", "-api")["spec"]["template"]["spec"]["containers"][0]
    assert api["command"][:2] == ["recording-service", "serve"] and "--no-job-worker" in api["command"]
    assert env_of(api)["RECORDING_RUN_WORKER"]["value"] == "false"
    worker_deployment = named(chart_full, "Deployment", "-worker")
    assert worker_deployment["spec"]["replicas"] == 2
    worker = worker_deployment["spec"]["template"]["spec"]["containers"][0]
    assert worker["command"] == ["recording-service", "worker"]
    assert "ports" not in worker and "readinessProbe" not in worker
    assert "httpGet" not in worker["livenessProbe"]
    # the Service reaches the API pods and never a worker
    service = of_kind(chart_full, "Service")[0]
    worker_labels = worker_deployment["spec"]["template"]["metadata"]["labels"]
    api_labels = named(chart_full, "Deployment", "-api")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= api_labels.items()
    assert not service["spec"]["selector"].items() <= worker_labels.items()


def test_migrations_run_as_a_hook_job_before_install_and_upgrade(chart_full):
    (job,) = of_kind(chart_full, "Job")
    annotations = job["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["recording-service", "migrate"]
    env = env_of(container)
    assert env["RECORDING_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "pg", "key": "owner-url"}
    assert env["RECORDING_DATABASE_APP_ROLE"]["value"] == "recording_app"
    # it runs before the release's other objects exist: it may depend on none of them
    assert "serviceAccountName" not in job["spec"]["template"]["spec"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_migration_job_uses_the_service_url_by_default(chart_default):
    (job,) = of_kind(chart_default, "Job")
    env = env_of(job["spec"]["template"]["spec"]["containers"][0])
    assert env["RECORDING_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "recording-database", "key": "url"}
    assert "RECORDING_DATABASE_APP_ROLE" not in env


def test_pdb_selects_the_api_pods_only(chart_full):
    (pdb,) = of_kind(chart_full, "PodDisruptionBudget")
    selector = pdb["spec"]["selector"]["matchLabels"]
    api_labels = named(chart_full, "Deployment", "-api")["spec"]["template"]["metadata"]["labels"]
    worker_labels = named(chart_full, "Deployment", "-worker")["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= api_labels.items()
    assert not selector.items() <= worker_labels.items()
    assert pdb["spec"]["minAvailable"] == 1


def test_pods_run_unprivileged_on_a_read_only_root(chart_full):
    for name, spec in pod_specs(chart_full):
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] == 10001, name  # the image's user (Dockerfile)
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            # the one writable place: an emptyDir on /tmp (TMPDIR), for ffmpeg's copies and spooled bodies
            (tmp,) = [mount for mount in container["volumeMounts"] if mount["mountPath"] == "/tmp"]
            (volume,) = [volume for volume in spec["volumes"] if volume["name"] == tmp["name"]]
            assert "emptyDir" in volume and volume["emptyDir"]["sizeLimit"], name
            assert env_of(container)["TMPDIR"]["value"] == "/tmp", name


def test_ingress_lets_tus_uploads_through(chart_full):
    (ingress,) = of_kind(chart_full, "Ingress")
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "0"
    assert annotations["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "off"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 600
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 600
    assert ingress["spec"]["tls"][0]["secretName"] == "recording-tls"
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == of_kind(chart_full, "Service")[0]["metadata"]["name"]
    assert of_kind(render(), "Ingress") == []  # off unless asked for


def test_metrics_need_a_token_once_the_ingress_publishes_the_pods(chart_full):
    api = named(chart_full, "Deployment", "-api")["spec"]["template"]["spec"]["containers"][0]
    token = env_of(api)["RECORDING_METRICS_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert token == {"name": "recording-metrics", "key": "token"}
    assert "RECORDING_METRICS_TOKEN" not in env_of(named(render(), "Deployment", "-api")["spec"]["template"]["spec"]["containers"][0])
    with pytest.raises(Exception, match="metrics.tokenSecret"):
        render({"ingress": {"enabled": True, "host": "recording.example.gov.cn"}})


def test_custody_cron_jobs_run_the_documented_commands(chart_default):
    commands = {document["metadata"]["name"]: document for document in of_kind(chart_default, "CronJob")}
    assert len(commands) == 4
    for cron in commands.values():
        assert cron["spec"]["concurrencyPolicy"] == "Forbid"
        (container,) = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
        assert " ".join(container["command"]).count("recording-service") >= 1
    assert of_kind(render({"cronJobs": {"enabled": False}}), "CronJob") == []


# ---- the reference compose deployment ----


def env_example() -> dict[str, str]:
    lines = (DEPLOY / "env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?error}; a required variable missing from env.example is an error."""

    def value(match: re.Match) -> str:
        name, operator, argument = match.groups()
        if name in env:
            return env[name]
        if operator == "-":
            return argument
        raise AssertionError(f"${{{name}}} is required by compose.yaml but not in deploy/env.example")

    return re.sub(r"\$\{([A-Za-z0-9_]+)(?::?([-?])([^}]*))?\}", value, text)


@pytest.fixture(scope="module")
def compose() -> dict:
    text = interpolate((DEPLOY / "compose.yaml").read_text(), env_example())
    document = yaml.safe_load(text)  # YAML merge keys (<<) resolved as Compose resolves them
    parsed = PyCompose.from_json(json.dumps(document))  # the Compose Specification, strictly (unknown keys refused)
    parsed.validate()  # every network, volume, config and secret a service uses is defined
    ComposeSpecification.model_validate(document)
    return document


def recording_services(compose: dict) -> dict[str, dict]:
    return {name: service for name, service in compose["services"].items() if str(service.get("image", "")).startswith("recording-service")}


def test_compose_has_two_api_replicas_a_worker_and_the_stores(compose):
    services = compose["services"]
    assert {"postgres", "seaweedfs", "bucket", "migrate", "api-1", "api-2", "worker", "proxy"} <= services.keys()
    for name in ("api-1", "api-2"):
        command = services[name]["command"]
        assert command[:2] == ["recording-service", "serve"] and "--no-job-worker" in command
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["worker"]["command"] == ["recording-service", "worker"]
    assert "ports" not in services["worker"]
    assert services["migrate"]["command"] == ["recording-service", "migrate"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on an unknown service {dependency}"


def test_compose_replicas_share_one_key_database_and_bucket(compose):
    running = {name: service for name, service in recording_services(compose).items() if name not in ("bucket", "migrate")}
    assert running.keys() == {"api-1", "api-2", "worker"}
    for name, service in running.items():
        assert service["secrets"] == ["signing_key"], name
        assert service["environment"]["RECORDING_SIGNING_KEY_FILE"] == "/run/secrets/signing_key", name
        assert service["read_only"] is True and any(entry.startswith("/tmp") for entry in service["tmpfs"]), name
        assert service["env_file"] == ["recording.env"], name
    for setting in ("RECORDING_DATABASE_URL", "RECORDING_STORAGE_URL", "RECORDING_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID"):
        assert len({service["environment"][setting] for service in running.values()}) == 1, setting
    assert compose["secrets"]["signing_key"]["file"].endswith("signing-key.pem")
    recording_env = (DEPLOY / "recording.env").read_text()
    assert re.search(r"^RECORDING_RUN_WORKER=false$", recording_env, re.MULTILINE)
    # migrations as the owner, the service as the application role that cannot rewrite the audit table
    assert compose["services"]["migrate"]["environment"]["RECORDING_DATABASE_APP_ROLE"] == "recording_app"
    assert running["api-1"]["environment"]["RECORDING_DATABASE_URL"].startswith("postgresql://recording_app:")


def test_compose_services_have_healthchecks(compose):
    for name, service in compose["services"].items():
        if service.get("restart") == "no":  # one-shot: bucket, migrate
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_compose_trusts_only_the_proxy(compose):
    proxy_address = compose["services"]["proxy"]["networks"]["backend"]["ipv4_address"]
    for name, service in recording_services(compose).items():
        if name in ("bucket", "migrate"):
            continue
        assert service["environment"]["RECORDING_TRUSTED_PROXIES"] == proxy_address, name
        assert "ports" not in service, f"{name} is reachable around the proxy"
    subnet = compose["networks"]["backend"]["ipam"]["config"][0]["subnet"]
    assert proxy_address.rsplit(".", 1)[0] == subnet.split("/")[0].rsplit(".", 1)[0]


def test_compose_bucket_is_created_with_object_lock(compose):
    script = "\n".join(compose["services"]["bucket"]["command"])
    assert "ObjectLockEnabledForBucket=True" in script
    assert "put_object_lock_configuration" not in script  # no default retention rule (it would lock upload tails)


def test_compose_proxy_is_haproxy_with_tus_friendly_settings(compose):
    proxy = compose["services"]["proxy"]
    assert proxy["image"].startswith("haproxy:")
    assert "./haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in proxy["volumes"]
    config = (DEPLOY / "haproxy" / "haproxy.cfg").read_text()
    active = "\n".join(line.split("#", 1)[0].rstrip() for line in config.splitlines())
    servers = re.findall(r"^\s*server (\S+) (\S+):8000 check", active, re.MULTILINE)
    assert servers == [("api-1", "api-1"), ("api-2", "api-2")]
    # bodies streamed as they arrive and of any size (the service limits them itself)
    assert "http-buffer-request" not in active and "req.body_size" not in active
    # idle timeouts long enough for a dock's PATCH on a slow link
    for side in ("client", "server"):
        (value,) = re.findall(rf"^\s*timeout {side} (\d+)m$", active, re.MULTILINE)
        assert int(value) >= 10
    # the proxy alone sets X-Forwarded-For / -Proto; replicas are chosen by /readyz
    assert re.search(r"^\s*http-request del-header X-Forwarded-For$", active, re.MULTILINE)
    assert re.search(r"^\s*option forwardfor$", active, re.MULTILINE)
    assert "http-request set-header X-Forwarded-Proto" in active
    assert re.search(r"http-check send meth GET uri /readyz", active)
    assert "on-marked-down shutdown-sessions" not in active  # a draining replica keeps its uploads


def test_haproxy_accepts_the_configuration():
    haproxy = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin")
    assert haproxy, "haproxy is not installed (make test installs Debian's haproxy): the proxy configuration was not checked"
    result = subprocess.run([haproxy, "-c", "-f", str(DEPLOY / "haproxy" / "haproxy.cfg")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    # the only warnings allowed: the replicas' names, which only Docker's DNS resolves
    warnings = [line for line in (result.stdout + result.stderr).splitlines() if "[WARNING]" in line]
    assert all("could not resolve address 'api-" in line for line in warnings), warnings


def test_compose_env_files_document_every_variable():
    example = env_example()
    used = set(re.findall(r"\$\{([A-Za-z0-9_]+)", (DEPLOY / "compose.yaml").read_text()))
    assert used <= example.keys(), used - example.keys()
    assert all("CHANGE" in example[name] for name in ("POSTGRES_PASSWORD", "RECORDING_APP_DB_PASSWORD", "S3_SECRET_KEY"))
    ignored = (DEPLOY / ".gitignore").read_text().split()
    assert ".env" in ignored
    assert (DEPLOY / "secrets" / ".gitignore").read_text().splitlines()[1:] == ["*", "!.gitignore"]
    # every line of recording.env is a RECORDING_* setting the service knows, each group explained by a comment above it
    from recording_service.core.config import Settings

    known = {f"RECORDING_{name.upper()}" for name in Settings.model_fields}
    lines = (DEPLOY / "recording.env").read_text().splitlines()
    for index, line in enumerate(lines):
        if line and not line.startswith("#"):
            name = line.split("=", 1)[0]
            assert name in known, name
            above = index - 1
            while above >= 0 and lines[above] and not lines[above].startswith("#"):
                above -= 1
            assert above >= 0 and lines[above].startswith("#"), f"{name} is not explained"
