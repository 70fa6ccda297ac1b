"""Run the real `__main__.py` under Pulumi's mock runtime: no cloud, no credentials, no Pulumi CLI.

Values known only after deployment come back as marked, deterministic placeholders (`<generated>`,
`<account-id>`), so two runs of the same config give the same result.
"""

from __future__ import annotations

import runpy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
import pulumi.runtime.settings
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks

from components.partitions import dns_suffix, partition_of
from components.settings import PROJECT
from tools.pulumi_yaml import program_text

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "__main__.py"
GENERATED = "<generated>"
ACCOUNT_ID = "<account-id>"


@dataclass
class Registered:
    """One resource the program registered, as the engine would receive it."""

    type: str
    name: str
    urn: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    dependencies: list[str]
    retain_on_delete: bool
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ProgramRun:
    resources: list[Registered] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)  # provider functions the program called, by token

    def of_type(self, type_token: str) -> list[Registered]:
        """By logical name: registration order varies from run to run."""
        return sorted((r for r in self.resources if r.type == type_token), key=lambda r: r.name)

    def one(self, type_token: str) -> Registered:
        found = self.of_type(type_token)
        if len(found) != 1:
            raise AssertionError(f"expected one {type_token}, found {[r.name for r in found]}")
        return found[0]


class OfflineMocks(Mocks):
    """Answers the program's provider calls and stands in for the values the cloud would assign."""

    def __init__(self, region: str, calls: list[str] | None = None) -> None:
        self.region = region
        self.calls = calls if calls is not None else []
        try:
            self.partition = partition_of(region)
        except KeyError:  # a mistyped aws:region: settings name it; the mocks only need some partition
            self.partition = "aws"

    def call(self, args: MockCallArgs) -> dict:  # type: ignore[override]
        self.calls.append(args.token)
        suffix = dns_suffix(self.partition)
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": self.partition, "dnsSuffix": suffix, "id": self.partition}
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT_ID, "arn": f"arn:{self.partition}:iam::{ACCOUNT_ID}:root"}
        if args.token == "aws:eks/getCluster:getCluster":
            issuer = f"https://oidc.eks.{self.region}.{suffix}/id/<oidc-id-of-{args.args['name']}>"
            return {"name": args.args["name"], "identities": [{"oidcs": [{"issuer": issuer}]}]}
        if args.token == "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider":
            url = args.args["url"]
            arn = f"arn:{self.partition}:iam::{ACCOUNT_ID}:oidc-provider/{url.removeprefix('https://')}"
            return {"arn": arn, "url": url}
        raise NotImplementedError(f"offline run has no answer for {args.token}")

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict]:
        outputs = dict(args.inputs)
        if args.typ == "aws:iam/role:Role":
            name = outputs.get("name") or f"{args.name}-{GENERATED}"
            outputs.update(name=name, arn=f"arn:{self.partition}:iam::{ACCOUNT_ID}:role/{name}")
        if args.typ.startswith("kubernetes:") and not args.typ.endswith("Patch"):
            metadata = dict(outputs.get("metadata") or {})
            # The provider auto-names objects without metadata.name: `<logical name>-<random suffix>`.
            metadata.setdefault("name", f"{args.name}-{GENERATED}")
            outputs["metadata"] = metadata
        return f"{args.name}-id", outputs


class RecordingMonitor(MockMonitor):
    """Keeps what each registration carried: inputs, parent and the resource options the engine would see."""

    def __init__(self, mocks: Mocks, registered: list[Registered]) -> None:
        super().__init__(mocks)
        self.registered = registered

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registered.append(
                Registered(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent,
                    custom=request.custom,
                    inputs=rpc.deserialize_properties(request.object),
                    outputs=dict(self.resources[response.urn].state),
                    dependencies=list(request.dependencies),
                    retain_on_delete=bool(request.retainOnDelete),
                    property_dependencies={
                        key: list(value.urns) for key, value in request.propertyDependencies.items()
                    },
                )
            )
        return response


def config_values(stack_config: Mapping[str, Any]) -> dict[str, str]:
    """Stack-file `config:` values as the CLI hands them to a program (strings as is, the rest as Go's JSON)."""
    return {key: program_text(value) for key, value in stack_config.items()}


def run_program(stack_config: Mapping[str, Any], stack: str, into: ProgramRun | None = None) -> ProgramRun:
    """Run `__main__.py` with this stack's `config:` block (values as a stack file holds them)."""
    return run_with_engine_config(config_values(stack_config), stack, into)


def run_with_engine_config(engine_config: Mapping[str, str], stack: str, into: ProgramRun | None = None) -> ProgramRun:
    """Run `__main__.py` with the config strings the CLI would pass (StackFile.program_config()); return what it
    registered and exported.

    Exceptions from the program (a SettingsError, say) propagate unchanged; `into` then shows what was
    registered before it.
    """
    run = into if into is not None else ProgramRun()
    region = engine_config.get("aws:region", "us-east-1")
    monitor = RecordingMonitor(OfflineMocks(region, run.calls), run.resources)
    # A fresh root Stack per run, so this run's resources hang under this stack's name and exports.
    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_mocks(monitor.mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(dict(engine_config))
    root = pulumi.runtime.get_root_resource()

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        runpy.run_path(str(MAIN), run_name="__main__")
        exported = dict(root.outputs)  # type: ignore[union-attr]
        return pulumi.Output.all(**exported).apply(run.outputs.update)

    program()
    return run
