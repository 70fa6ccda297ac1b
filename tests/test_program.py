"""The whole program under Pulumi's mock runtime, once per file in stacks/: what it registers, with what inputs."""

import json
import re
from typing import Any

import pytest
import yaml

from components.settings import SettingsError
from tools.offline import ProgramRun, Registered, run_program
from tools.stack_files import stack_config, stack_names

ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
SERVICE_ACCOUNT_PATCH = "kubernetes:core/v1:ServiceAccountPatch"


def spinnaker_patch(run: ProgramRun) -> Registered:
    (patch,) = [r for r in run.resources if r.type.endswith(":SpinnakerServicePatch") and r.custom]
    return patch


def spinnaker_config(run: ProgramRun) -> dict[str, Any]:
    return spinnaker_patch(run).inputs["spec"]["spinnakerConfig"]


def accounts(run: ProgramRun) -> list[dict[str, Any]]:
    return spinnaker_config(run)["profiles"]["clouddriver"]["dockerRegistry"]["accounts"]


def sidecars(run: ProgramRun) -> dict[str, list[dict[str, Any]]]:
    return spinnaker_config(run)["config"]["deploymentEnvironment"]["sidecars"]


def token_refresh_config(run: ProgramRun) -> dict[str, Any]:
    return yaml.safe_load(run.one(CONFIG_MAP).inputs["data"]["config.yaml"])


def trust_policy(run: ProgramRun) -> dict[str, Any]:
    return json.loads(run.one(ROLE).inputs["assumeRolePolicy"])


@pytest.mark.parametrize("stack", stack_names())
def test_every_stack_file_is_exercised(stack: str, stack_runs: dict[str, ProgramRun]) -> None:
    assert stack_runs[stack].resources, f"{stack} registered nothing"


@pytest.mark.parametrize("stack", stack_names())
def test_config_map_lists_every_registry_with_a_quoted_id(stack: str, stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs[stack]
    config_map = run.one(CONFIG_MAP)
    assert list(config_map.inputs["data"]) == ["config.yaml"]
    name = config_map.inputs["metadata"]["name"]
    assert re.fullmatch(r"token-refresh-config-[a-z0-9]{10}", name), "named by its content, kustomize-style"
    document = token_refresh_config(run)
    wanted = stack_config(stack)["spinnaker-ecr:registries"]
    assert [(r["registryId"], r["region"]) for r in document["registries"]] == [
        (r["accountId"], r["region"]) for r in wanted
    ]
    assert all(isinstance(r["registryId"], str) for r in document["registries"])
    assert set(document) == {"interval", "registries"}
    assert all(set(r) == {"registryId", "region", "passwordFile"} for r in document["registries"])
    raw = config_map.inputs["data"]["config.yaml"]
    assert all(f'registryId: "{r["accountId"]}"' in raw for r in wanted)


@pytest.mark.parametrize("stack", stack_names())
def test_password_files_agree_between_config_map_and_accounts(stack: str, stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs[stack]
    ours = [a for a in accounts(run) if a["name"] in run.outputs["accountNames"]]
    written = [r["passwordFile"] for r in token_refresh_config(run)["registries"]]
    assert [a["passwordFile"] for a in ours] == written
    assert len(set(written)) == len(written)
    assert all(path.startswith("/etc/passwords/") for path in written)


@pytest.mark.parametrize("stack", stack_names())
def test_accounts_address_each_registry(stack: str, stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs[stack]
    wanted = stack_config(stack)["spinnaker-ecr:registries"]
    ours = accounts(run)[: len(wanted)]
    for account, registry in zip(ours, wanted, strict=True):
        assert account["name"] == registry["name"]
        assert account["username"] == "AWS"
        assert account["address"] == f"https://{registry['accountId']}.dkr.ecr.{registry['region']}.amazonaws.com"
        for option in set(registry) - {"name", "accountId", "region"}:
            assert account[option] == registry[option]
        assert "password" not in account and "passwordCommand" not in account


@pytest.mark.parametrize("stack", stack_names())
def test_sidecar_mounts_the_config_map_it_names(stack: str, stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs[stack]
    settings = stack_config(stack)
    key = "clouddriver" if settings.get("spinnaker-ecr:spinnaker", {}).get("clouddriverHA") else "spin-clouddriver"
    assert list(sidecars(run)) == [key]
    ours = sidecars(run)[key][0]
    assert ours["name"] == "token-refresh"
    assert ours["dockerImage"] == settings["spinnaker-ecr:tokenRefresh"]["image"]
    assert ours["mountPath"] == "/etc/passwords"
    generated_name = run.one(CONFIG_MAP).outputs["metadata"]["name"]
    assert ours["configMapVolumeMounts"] == [
        {"configMapName": generated_name, "mountPath": "/opt/config/ecr-token-refresh"}
    ]
    assert run.outputs["configMapName"] == generated_name


@pytest.mark.parametrize("stack", stack_names())
def test_patch_targets_the_spinnaker_service_with_a_fixed_field_manager(
    stack: str, stack_runs: dict[str, ProgramRun]
) -> None:
    patch = spinnaker_patch(stack_runs[stack])
    spinnaker = stack_config(stack).get("spinnaker-ecr:spinnaker", {})
    api_version = spinnaker.get("apiVersion", "spinnaker.io/v1alpha2")
    assert patch.type == f"kubernetes:{api_version}:SpinnakerServicePatch"
    assert patch.inputs["kind"] == "SpinnakerService"
    metadata = patch.inputs["metadata"]
    assert (metadata["name"], metadata["namespace"]) == (
        spinnaker.get("name", "spinnaker"),
        spinnaker.get("namespace", "spinnaker"),
    )
    assert metadata["annotations"] == {"pulumi.com/patchFieldManager": f"spinnaker-ecr-{stack}"}


@pytest.mark.parametrize("stack", stack_names())
def test_read_only_policy_attached_with_partition_arn(stack: str, stack_runs: dict[str, ProgramRun]) -> None:
    attachment = stack_runs[stack].one(ATTACHMENT)
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"


@pytest.mark.parametrize("stack", stack_names())
def test_every_resource_hangs_under_the_top_component(stack: str, stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs[stack]
    by_urn = {r.urn: r for r in run.resources}
    (top,) = run.of_type("spinnaker-ecr:index:SpinnakerEcr")
    for resource in run.resources:
        chain = resource
        while chain.parent in by_urn:
            chain = by_urn[chain.parent]
        assert chain is top, f"{resource.name} is not under {top.name}"
        assert resource.custom or resource.type.startswith("spinnaker-ecr:")


@pytest.mark.parametrize("stack", stack_names())
def test_patch_waits_for_credentials_and_config(stack: str, stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs[stack]
    depends = spinnaker_patch(run).dependencies
    must_exist_first = [run.one(ATTACHMENT), run.one(CONFIG_MAP)]
    must_exist_first += run.of_type(SERVICE_ACCOUNT) + run.of_type(SERVICE_ACCOUNT_PATCH) + run.of_type(POD_IDENTITY)
    for resource in must_exist_first:
        assert resource.urn in depends, resource.name


def test_dev_node_role_attaches_to_the_node_role_and_keeps_it_on_destroy(stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs["dev"]
    attachment = run.one(ATTACHMENT)
    assert attachment.inputs["role"] == "eks-dev-node-role"
    assert attachment.retain_on_delete, "detaching from the node role would stop node image pulls"
    assert not run.of_type(ROLE) and not run.of_type(POD_IDENTITY)
    assert not run.of_type(SERVICE_ACCOUNT) and not run.of_type(SERVICE_ACCOUNT_PATCH)
    assert run.outputs["roleArn"] is None and run.outputs["roleName"] == "eks-dev-node-role"


def test_staging_irsa_trust_and_annotated_service_account(stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs["staging"]
    provider = stack_config("staging")["spinnaker-ecr:access"]["oidcProviderArn"]
    issuer = provider.split(":oidc-provider/")[1]
    (statement,) = trust_policy(run)["Statement"]
    assert statement["Principal"] == {"Federated": provider}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            f"{issuer}:sub": "system:serviceaccount:spinnaker-staging:spin-clouddriver",
            f"{issuer}:aud": "sts.amazonaws.com",
        }
    }
    patch = run.one(SERVICE_ACCOUNT_PATCH)
    assert patch.inputs["metadata"]["name"] == "spin-clouddriver"
    assert patch.inputs["metadata"]["namespace"] == "spinnaker-staging"
    assert patch.inputs["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": run.one(ROLE).outputs["arn"],
        "pulumi.com/patchFieldManager": "spinnaker-ecr-staging",
    }
    assert "service-settings" not in spinnaker_config(run), "an existing service account needs no serviceAccountName"
    assert not run.one(ATTACHMENT).retain_on_delete
    assert run.one(ATTACHMENT).inputs["role"] == run.one(ROLE).outputs["name"]
    assert run.outputs["roleArn"] == run.one(ROLE).outputs["arn"]
    assert run.outputs["serviceAccount"] == "spin-clouddriver"


def test_prod_pod_identity_with_a_dedicated_service_account(stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs["prod"]
    assert trust_policy(run)["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }
    ]
    association = run.one(POD_IDENTITY)
    assert association.inputs["tags"] == run.one(ROLE).inputs["tags"]
    assert association.inputs["clusterName"] == "spinnaker-prod"
    assert association.inputs["namespace"] == "spinnaker"
    assert association.inputs["serviceAccount"] == "clouddriver-ecr"
    assert association.inputs["roleArn"] == run.one(ROLE).outputs["arn"]
    created = run.one(SERVICE_ACCOUNT)
    assert created.inputs["metadata"]["name"] == "clouddriver-ecr"
    assert "eks.amazonaws.com/role-arn" not in created.inputs["metadata"].get("annotations", {})
    kubernetes = spinnaker_config(run)["service-settings"]["clouddriver"]["kubernetes"]
    assert kubernetes == {"serviceAccountName": "clouddriver-ecr"}
    assert run.one(ROLE).inputs["tags"] == {
        "project": "spinnaker-ecr",
        "stack": "prod",
        "managed-by": "pulumi",
        "cost-center": "platform",
    }


def test_prod_keeps_the_entries_users_already_had_in_atomic_lists(stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs["prod"]
    spinnaker = stack_config("prod")["spinnaker-ecr:spinnaker"]
    assert [s["name"] for s in sidecars(run)["spin-clouddriver"]] == ["token-refresh", "log-shipper"]
    assert sidecars(run)["spin-clouddriver"][1] == spinnaker["extraSidecars"][0]
    assert accounts(run)[-1] == {**spinnaker["extraDockerAccounts"][0]}
    assert [a["name"] for a in accounts(run)] == ["ecr-prod-use1", "ecr-prod-usw2", "ecr-shared-use1", "dockerhub"]


def _minimal(region: str, **access: Any) -> dict[str, Any]:
    return {
        "aws:region": region,
        "spinnaker-ecr:access": access or {"mode": "irsa", "clusterName": "spin", "serviceAccount": {"name": "cd"}},
        "spinnaker-ecr:tokenRefresh": {"image": "registry.example/ecr-token-refresh:1"},
        "spinnaker-ecr:registries": [{"name": "ecr", "accountId": "111122223333", "region": region}],
    }


@pytest.mark.parametrize(
    ("region", "partition", "domain"),
    [("us-gov-west-1", "aws-us-gov", "amazonaws.com"), ("cn-north-1", "aws-cn", "amazonaws.com.cn")],
)
def test_other_partitions(region: str, partition: str, domain: str) -> None:
    run = run_program(_minimal(region), "partition")
    assert (
        run.one(ATTACHMENT).inputs["policyArn"] == f"arn:{partition}:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
    )
    assert accounts(run)[0]["address"] == f"https://111122223333.dkr.ecr.{region}.{domain}"
    (statement,) = trust_policy(run)["Statement"]
    assert statement["Principal"]["Federated"].startswith(f"arn:{partition}:iam::")


def test_irsa_provider_looked_up_from_the_cluster() -> None:
    run = run_program(_minimal("us-east-1"), "lookup")
    (statement,) = trust_policy(run)["Statement"]
    provider = statement["Principal"]["Federated"]
    assert provider.endswith(":oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/<oidc-id-of-spin>")
    issuer = provider.split(":oidc-provider/")[1]
    assert statement["Condition"]["StringEquals"][f"{issuer}:sub"] == "system:serviceaccount:spinnaker:cd"


def test_custom_audience_and_force() -> None:
    config = _minimal("us-east-1", mode="irsa", clusterName="spin", audience="sigstore", serviceAccount={"name": "cd"})
    config["spinnaker-ecr:spinnaker"] = {"patchForce": True}
    run = run_program(config, "force")
    (statement,) = trust_policy(run)["Statement"]
    assert "sigstore" in statement["Condition"]["StringEquals"].values()
    assert spinnaker_patch(run).inputs["metadata"]["annotations"]["pulumi.com/patchForce"] == "true"
    annotations = run.one(SERVICE_ACCOUNT_PATCH).inputs["metadata"]["annotations"]
    assert annotations["pulumi.com/patchForce"] == "true"
    # The EKS pod identity webhook mints the token for this audience only when the service account says so.
    assert annotations["eks.amazonaws.com/audience"] == "sigstore"


def test_a_created_service_account_carries_a_custom_audience_too() -> None:
    config = _minimal(
        "us-east-1", mode="irsa", clusterName="spin", audience="sigstore", serviceAccount={"name": "cd", "create": True}
    )
    annotations = run_program(config, "aud").one(SERVICE_ACCOUNT).inputs["metadata"]["annotations"]
    assert annotations["eks.amazonaws.com/audience"] == "sigstore"
    assert annotations["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")


def test_the_default_audience_needs_no_annotation(stack_runs: dict[str, ProgramRun]) -> None:
    annotations = stack_runs["staging"].one(SERVICE_ACCOUNT_PATCH).inputs["metadata"]["annotations"]
    assert "eks.amazonaws.com/audience" not in annotations
    assert "eks.amazonaws.com/role-arn" in annotations


EXISTING_ROLE_ARN = "arn:aws:iam::111122223333:role/platform/spinnaker-ecr"


@pytest.mark.parametrize("create", [False, True])
def test_existing_role_registers_no_aws_resource_and_calls_no_aws_function(create: bool) -> None:
    config = {
        "spinnaker-ecr:access": {
            "mode": "existing-role",
            "roleArn": EXISTING_ROLE_ARN,
            "serviceAccount": {"name": "cd", "create": create},
        },
        "spinnaker-ecr:tokenRefresh": {"image": "registry.example/ecr-token-refresh:1"},
        "spinnaker-ecr:registries": [{"name": "ecr-a", "accountId": "111122223333", "region": "eu-west-1"}],
    }
    run = run_program(config, "existing")
    assert [r.type for r in run.resources if r.type.startswith("aws:")] == []
    assert run.calls == []
    account = run.one(SERVICE_ACCOUNT if create else SERVICE_ACCOUNT_PATCH)
    assert account.inputs["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == EXISTING_ROLE_ARN
    assert run.outputs["roleArn"] == EXISTING_ROLE_ARN
    assert run.outputs["roleName"] is None
    patch = spinnaker_patch(run)
    assert set(patch.dependencies) >= {account.urn}


def test_any_legal_stack_name_gives_valid_label_values() -> None:
    long_names = ["a" * 100, "a" * 62 + "-x." + "b" * 35, "_under_score_", "stack.with.dots-" + "9" * 60]
    labels = []
    for stack in long_names:
        run = run_program(_minimal("us-east-1"), stack)
        (label,) = {r.inputs["metadata"]["labels"]["pulumi.com/stack"] for r in run.resources if r.type == CONFIG_MAP}
        assert re.fullmatch(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", label) and len(label) <= 63, label
        labels.append(label)
    assert len(set(labels)) == len(labels), "shortened names stay distinct"


def test_the_config_map_name_follows_its_content(stack_runs: dict[str, ProgramRun]) -> None:
    base = stack_config("dev")
    names = set()
    for changes in ({}, {"interval": "45m"}):
        config = {**base, "spinnaker-ecr:tokenRefresh": {**base["spinnaker-ecr:tokenRefresh"], **changes}}
        run = run_program(config, "dev")
        name = run.one(CONFIG_MAP).inputs["metadata"]["name"]
        (sidecar,) = sidecars(run)["spin-clouddriver"]
        assert sidecar["configMapVolumeMounts"][0]["configMapName"] == name
        names.add(name)
    more = {
        **base,
        "spinnaker-ecr:registries": [
            *base["spinnaker-ecr:registries"],
            {"name": "ecr-b", "accountId": "111122223333", "region": "us-west-2"},
        ],
    }
    names.add(run_program(more, "dev").one(CONFIG_MAP).inputs["metadata"]["name"])
    assert len(names) == 3
    assert stack_runs["dev"].one(CONFIG_MAP).inputs["metadata"]["name"] in names, "the same content, the same name"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"spinnaker-ecr:registries": []}, "spinnaker-ecr:registries: [] is empty"),
        (
            {"spinnaker-ecr:access": {"mode": "irsa", "serviceAccount": {"name": "cd"}}},
            "spinnaker-ecr:access.oidcProviderArn: is required",
        ),
        (
            {"spinnaker-ecr:tokenRefresh": {"image": "quay.io/skuid/ecr-token-refresh:latest"}},
            "spinnaker-ecr:tokenRefresh.image: 'quay.io/skuid/ecr-token-refresh:latest' cannot be used",
        ),
        ({"spinnaker-ecr:typo": {"a": 1}}, 'spinnaker-ecr:typo: {"a": 1} is not a known key'),
    ],
)
def test_bad_input_registers_nothing(changes: dict[str, Any], expected: str) -> None:
    run = ProgramRun()
    with pytest.raises(SettingsError) as raised:
        run_program({**_minimal("us-east-1"), **changes}, "bad", into=run)
    assert any(problem.startswith(expected) for problem in raised.value.problems), raised.value.problems
    assert run.resources == []


def test_a_good_run_into_records_its_resources() -> None:
    run = ProgramRun()
    run_program(_minimal("us-east-1"), "good", into=run)
    assert run.one(ATTACHMENT)


def test_each_run_has_its_own_root_stack(stack_runs: dict[str, ProgramRun]) -> None:
    for stack, run in stack_runs.items():
        (top,) = run.of_type("spinnaker-ecr:index:SpinnakerEcr")
        assert top.parent == f"urn:pulumi:{stack}::spinnaker-ecr::pulumi:pulumi:Stack::spinnaker-ecr-{stack}"
