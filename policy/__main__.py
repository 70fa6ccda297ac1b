"""The spinnaker-ecr policy pack: `pulumi preview --policy-pack policy` runs this file, which serves until stopped."""

import pulumi
from policies import PACK_NAME, policies, production_config
from pulumi_policy import PolicyPack

# The CLI configures the runtime for the stack being previewed before it runs this file.
PolicyPack(name=PACK_NAME, policies=policies, initial_config=production_config(pulumi.get_stack()))
