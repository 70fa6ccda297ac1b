"""The spinnaker-ecr policy pack: `pulumi preview --policy-pack policy` runs this file, which serves until stopped.

Production stacks run it with `--policy-pack-config policy/config/production.json` (see docs/pull-requests.md)."""

import sys
from pathlib import Path

# The sidecar package beside the pack owns the facts the rules share with it (its Go-duration parser, its paths).
# Taken from the same checkout as the pack, so the base branch's pack judges with the base branch's facts.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "sidecar"))

from policies import PACK_NAME, policies
from pulumi_policy import PolicyPack

PolicyPack(name=PACK_NAME, policies=policies)
