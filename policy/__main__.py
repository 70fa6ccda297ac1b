"""The spinnaker-ecr policy pack: `pulumi preview --policy-pack policy` runs this file, which serves until stopped.

Production stacks run it with `--policy-pack-config policy/config/production.json` (see docs/pull-requests.md)."""

from policies import PACK_NAME, policies
from pulumi_policy import PolicyPack

PolicyPack(name=PACK_NAME, policies=policies)
