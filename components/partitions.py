"""AWS partitions, as far as this program needs them: which one a region is in, and its domain."""

PARTITIONS = ("aws", "aws-cn", "aws-us-gov")


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def dns_suffix(partition: str) -> str:
    return "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
