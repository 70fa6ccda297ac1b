"""tokenRefresh.method: each method's resources and clouddriver wiring, and nothing from the others."""

from typing import Any

import pytest

from components.settings import SettingsError
from tools.offline import ProgramRun, run_program

CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
GENERATOR = "kubernetes:generators.external-secrets.io/v1alpha1:ECRAuthorizationToken"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
REGISTRIES = [
    {"name": "ecr-a", "accountId": "111122223333", "region": "us-east-1"},
    {"name": "ecr-b", "accountId": "444455556666", "region": "us-east-1"},
    {"name": "ecr-c", "accountId": "111122223333", "region": "eu-west-1"},
]
IRSA = {"mode": "irsa", "clusterName": "spin", "serviceAccount": {"name": "spin-clouddriver"}}


def config(token_refresh: dict[str, Any], access: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "aws:region": "us-east-1",
        "spinnaker-ecr:access": access or IRSA,
        "spinnaker-ecr:tokenRefresh": token_refresh,
        "spinnaker-ecr:registries": REGISTRIES,
        **{f"spinnaker-ecr:{key}": value for key, value in extra.items()},
    }


def spinnaker_config(run: ProgramRun) -> dict[str, Any]:
    (patch,) = [r for r in run.resources if r.type.endswith(":SpinnakerServicePatch") and r.custom]
    return patch.inputs["spec"]["spinnakerConfig"]


def accounts(run: ProgramRun) -> list[dict[str, Any]]:
    return spinnaker_config(run)["profiles"]["clouddriver"]["dockerRegistry"]["accounts"]


def kubernetes_types(run: ProgramRun) -> set[str]:
    return {r.type for r in run.resources if r.type.startswith("kubernetes:")}


@pytest.mark.parametrize(
    "access",
    [
        IRSA,
        {"mode": "pod-identity", "clusterName": "spin", "serviceAccount": {"name": "cd", "create": True}},
        {"mode": "node-role", "nodeRoleName": "nodes"},
    ],
)
def test_password_command_runs_the_cli_per_region_and_nothing_else(access: dict[str, Any]) -> None:
    run = run_program(config({"method": "password-command"}, access), "pc")
    assert [a["passwordCommand"] for a in accounts(run)] == [
        "aws ecr get-login-password --region us-east-1",
        "aws ecr get-login-password --region us-east-1",
        "aws ecr get-login-password --region eu-west-1",
    ]
    assert not any("passwordFile" in a for a in accounts(run))
    assert "config" not in spinnaker_config(run), "no sidecar list: server-side apply drops the one we had"
    assert not run.of_type(CONFIG_MAP) and not run.of_type(GENERATOR) and not run.of_type(EXTERNAL_SECRET)
    assert run.outputs["tokenRefreshMethod"] == "password-command"
    assert run.outputs["configMapName"] is None
    assert run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")


def test_external_secrets_one_generator_and_secret_per_region() -> None:
    run = run_program(config({"method": "external-secrets", "interval": "1h"}), "eso")
    generators = {g.inputs["spec"]["region"]: g for g in run.of_type(GENERATOR)}
    assert {region: g.inputs["metadata"]["name"] for region, g in generators.items()} == {
        "us-east-1": "ecr-token-us-east-1",
        "eu-west-1": "ecr-token-eu-west-1",
    }
    assert generators["eu-west-1"].inputs["spec"] == {
        "region": "eu-west-1",
        "auth": {"jwt": {"serviceAccountRef": {"name": "spin-clouddriver"}}},
    }
    assert all(g.inputs["metadata"]["namespace"] == "spinnaker" for g in generators.values())
    secrets = {s.inputs["metadata"]["name"]: s for s in run.of_type(EXTERNAL_SECRET)}
    assert sorted(secrets) == ["ecr-token-eu-west-1", "ecr-token-us-east-1"]
    assert secrets["ecr-token-us-east-1"].inputs["spec"] == {
        "refreshInterval": "1h",
        "target": {"name": "ecr-token-us-east-1", "creationPolicy": "Owner"},
        "dataFrom": [
            {
                "sourceRef": {
                    "generatorRef": {
                        "apiVersion": "generators.external-secrets.io/v1alpha1",
                        "kind": "ECRAuthorizationToken",
                        "name": "ecr-token-us-east-1",
                    }
                }
            }
        ],
    }
    for region, generator in generators.items():
        secret = secrets[f"ecr-token-{region}"]
        assert secret.inputs["metadata"]["annotations"]["pulumi.com/waitFor"] == "condition=Ready"
        assert generator.urn in secret.dependencies


def test_external_secrets_mounts_each_secret_and_points_accounts_into_it() -> None:
    run = run_program(config({"method": "external-secrets"}), "eso")
    kubernetes = spinnaker_config(run)["service-settings"]["clouddriver"]["kubernetes"]
    assert kubernetes["volumes"] == [
        {"id": "ecr-token-us-east-1", "type": "secret", "mountPath": "/etc/ecr/us-east-1"},
        {"id": "ecr-token-eu-west-1", "type": "secret", "mountPath": "/etc/ecr/eu-west-1"},
    ]
    assert [a["passwordFile"] for a in accounts(run)] == [
        "/etc/ecr/us-east-1/password",
        "/etc/ecr/us-east-1/password",
        "/etc/ecr/eu-west-1/password",
    ]
    mounts = {v["mountPath"] for v in kubernetes["volumes"]}
    assert all(a["passwordFile"].rsplit("/", 1)[0] in mounts for a in accounts(run))
    assert "config" not in spinnaker_config(run)
    assert not run.of_type(CONFIG_MAP)
    (patch,) = [r for r in run.resources if r.type.endswith(":SpinnakerServicePatch") and r.custom]
    assert all(secret.urn in patch.dependencies for secret in run.of_type(EXTERNAL_SECRET))
    assert secrets_default_interval(run) == "30m"


def secrets_default_interval(run: ProgramRun) -> str:
    return run.of_type(EXTERNAL_SECRET)[0].inputs["spec"]["refreshInterval"]


def test_external_secrets_api_versions_and_auth_come_from_config() -> None:
    auth = {"secretRef": {"accessKeyIDSecretRef": {"name": "aws", "key": "id"}}}
    run = run_program(
        config(
            {"method": "external-secrets", "apiVersion": "external-secrets.io/v1beta1", "auth": auth},
            {"mode": "node-role", "nodeRoleName": "nodes"},
        ),
        "eso",
    )
    secrets = run.of_type("kubernetes:external-secrets.io/v1beta1:ExternalSecret")
    assert len(secrets) == 2
    assert all(g.inputs["spec"]["auth"] == auth for g in run.of_type(GENERATOR))


def test_sidecar_is_the_default_and_registers_no_external_secrets() -> None:
    run = run_program(config({"image": "registry.example/ecr-token-refresh:1"}), "sidecar")
    assert kubernetes_types(run) == {
        CONFIG_MAP,
        "kubernetes:core/v1:ServiceAccountPatch",
        "kubernetes:spinnaker.io/v1alpha2:SpinnakerServicePatch",
    }
    assert "service-settings" not in spinnaker_config(run)
    assert all(a["passwordFile"].startswith("/etc/passwords/") for a in accounts(run))


@pytest.mark.parametrize(
    ("token_refresh", "access", "extra", "expected"),
    [
        ({"method": "cron"}, IRSA, {}, "spinnaker-ecr:tokenRefresh.method: 'cron' is not one of: sidecar, "),
        (
            {"method": "external-secrets"},
            {"mode": "node-role", "nodeRoleName": "nodes"},
            {},
            "spinnaker-ecr:tokenRefresh.auth: is required (with access.mode node-role the ECRAuthorizationToken "
            "generator runs in the External Secrets controller",
        ),
        (
            {"method": "external-secrets"},
            {"mode": "pod-identity", "clusterName": "spin", "serviceAccount": {"name": "cd"}},
            {},
            "spinnaker-ecr:tokenRefresh.auth: is required (with access.mode pod-identity",
        ),
        (
            {"method": "password-command", "image": "registry.example/x:1"},
            IRSA,
            {},
            "spinnaker-ecr:tokenRefresh.image: 'registry.example/x:1' only applies to method sidecar, not "
            "password-command",
        ),
        (
            {"method": "password-command", "interval": "1h"},
            IRSA,
            {},
            "spinnaker-ecr:tokenRefresh.interval: '1h' only applies to method sidecar or external-secrets",
        ),
        (
            {"image": "registry.example/x:1", "apiVersion": "external-secrets.io/v1"},
            IRSA,
            {},
            "spinnaker-ecr:tokenRefresh.apiVersion: 'external-secrets.io/v1' only applies to method external-secrets, "
            "not sidecar",
        ),
        (
            {"image": "registry.example/x:1"},
            IRSA,
            {"externalSecrets": {"apiVersion": "external-secrets.io/v1"}},
            'spinnaker-ecr:externalSecrets: {"apiVersion": "external-secrets.io/v1"} has moved under '
            "spinnaker-ecr:tokenRefresh (method: external-secrets)",
        ),
        (
            {"method": "external-secrets", "apiVersion": "external-secrets.io/v2"},
            IRSA,
            {},
            "spinnaker-ecr:tokenRefresh.apiVersion: 'external-secrets.io/v2' is not one of",
        ),
        (
            {"method": "external-secrets", "interval": "12h"},
            IRSA,
            {},
            "spinnaker-ecr:tokenRefresh.interval: '12h' is out of range",
        ),
    ],
)
def test_bad_method_input_registers_nothing(
    token_refresh: dict[str, Any], access: dict[str, Any], extra: dict[str, Any], expected: str
) -> None:
    run = ProgramRun()
    with pytest.raises(SettingsError) as raised:
        run_program(config(token_refresh, access, **extra), "bad", into=run)
    assert any(problem.startswith(expected) for problem in raised.value.problems), raised.value.problems
    assert run.resources == []


def test_switching_methods_leaves_nothing_of_the_old_one() -> None:
    """Pulumi deletes what a run no longer registers; server-side apply drops fields the patch no longer sets."""
    runs = {
        "sidecar": run_program(config({"image": "registry.example/x:1"}), "switch"),
        "password-command": run_program(config({"method": "password-command"}), "switch"),
        "external-secrets": run_program(config({"method": "external-secrets"}), "switch"),
    }
    own = {
        "sidecar": {CONFIG_MAP},
        "password-command": set(),
        "external-secrets": {GENERATOR, EXTERNAL_SECRET},
    }
    for method, run in runs.items():
        for other, types in own.items():
            if other != method:
                assert not types & kubernetes_types(run), f"{method} registered {other}'s {types}"
    assert "config" in spinnaker_config(runs["sidecar"])
    assert "config" not in spinnaker_config(runs["password-command"])
    assert "service-settings" not in spinnaker_config(runs["password-command"])
    assert "config" not in spinnaker_config(runs["external-secrets"])


def test_external_secrets_passes_a_custom_audience_to_the_token_request() -> None:
    access = {**IRSA, "audience": "sts.example"}
    run = run_program(config({"method": "external-secrets"}, access), "eso")
    reference = run.of_type(GENERATOR)[0].inputs["spec"]["auth"]["jwt"]["serviceAccountRef"]
    assert reference == {"name": "spin-clouddriver", "audiences": ["sts.example"]}


def test_external_secrets_generators_wait_for_the_role_and_service_account() -> None:
    run = run_program(config({"method": "external-secrets"}), "eso")
    credentials = run.of_type("aws:iam/role:Role") + run.of_type("kubernetes:core/v1:ServiceAccountPatch")
    credentials += run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert len(credentials) == 3
    for generator in run.of_type(GENERATOR):
        assert {c.urn for c in credentials} <= set(generator.dependencies), generator.name


def test_external_secrets_in_ha_mode_mount_the_secrets_in_every_clouddriver_service() -> None:
    run = run_program(
        config({"method": "external-secrets"}, spinnaker={"clouddriverHA": True, "extraVolumes": [{"id": "ca"}]}),
        "eso-ha",
    )
    service_settings = spinnaker_config(run)["service-settings"]
    assert set(service_settings) == {
        "clouddriver",
        "clouddriver-caching",
        "clouddriver-rw",
        "clouddriver-ro",
        "clouddriver-ro-deck",
    }
    for settings in service_settings.values():
        assert [v["id"] for v in settings["kubernetes"]["volumes"]] == [
            "ecr-token-us-east-1",
            "ecr-token-eu-west-1",
            "ca",
        ]


def test_every_declared_method_is_wired_in_each_table() -> None:
    from components.model import REFRESH_METHODS
    from components.refresh_methods import PASSWORD_SOURCES
    from components.spinnaker_ecr import REFRESH_DEPLOYERS

    declared = set(REFRESH_METHODS.values())
    assert declared == set(PASSWORD_SOURCES) == set(REFRESH_DEPLOYERS)


def test_a_method_declared_but_not_wired_fails_loudly_instead_of_deploying_something_empty() -> None:
    from components.model import Model
    from components.refresh_methods import password_source
    from components.spinnaker_ecr import RefreshContext, deploy_token_refresh

    class CronMethod(Model):
        method: str = "cron"

    with pytest.raises(TypeError, match="token-refresh method CronMethod has no password source"):
        password_source(CronMethod(), None)  # type: ignore[arg-type]
    settings: Any = type("S", (), {"token_refresh": CronMethod()})()
    with pytest.raises(TypeError, match="token-refresh method CronMethod is declared but has no deployer"):
        deploy_token_refresh(RefreshContext("x", settings, {}, [], None))  # type: ignore[arg-type]
