from components.spinnaker_spec import patch_annotations, spinnaker_service_spec, token_refresh_sidecar


def test_spec_sets_only_what_it_is_given() -> None:
    spec = spinnaker_service_spec(sidecar_key="spin-clouddriver", sidecars=[], accounts=[{"name": "a"}])
    assert spec == {
        "spinnakerConfig": {
            "profiles": {"clouddriver": {"dockerRegistry": {"enabled": True, "accounts": [{"name": "a"}]}}}
        }
    }


def test_spec_with_sidecar_service_account_and_volumes() -> None:
    sidecar = token_refresh_sidecar("img", "cm-123")
    volume = {"id": "ecr-us-east-1", "type": "secret", "mountPath": "/etc/ecr/us-east-1"}
    spec = spinnaker_service_spec(
        sidecar_key="clouddriver", sidecars=[sidecar], accounts=[], service_account_name="sa", volumes=[volume]
    )["spinnakerConfig"]
    assert spec["config"]["deploymentEnvironment"]["sidecars"] == {"clouddriver": [sidecar]}
    assert spec["service-settings"] == {
        "clouddriver": {"kubernetes": {"serviceAccountName": "sa", "volumes": [volume]}}
    }


def test_force_only_when_asked() -> None:
    assert patch_annotations("m", force=False) == {"pulumi.com/patchFieldManager": "m"}
    assert patch_annotations("m", force=True)["pulumi.com/patchForce"] == "true"
