"""spinnaker-ecr: ECR pull access, token refresh and the SpinnakerService patch for this stack."""

import pulumi

from components.settings import load_settings
from components.spinnaker_ecr import SpinnakerEcr

settings = load_settings()
ecr = SpinnakerEcr("spinnaker-ecr", settings)

pulumi.export("roleArn", ecr.role_arn)
pulumi.export("roleName", ecr.role_name)
pulumi.export("tokenRefreshMethod", settings.token_refresh.method)
pulumi.export("configMapName", ecr.config_map_name)
pulumi.export("serviceAccount", ecr.service_account)
pulumi.export("accountNames", ecr.account_names)
