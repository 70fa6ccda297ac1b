"""Keeps ECR registry passwords fresh in files that clouddriver reads (drop-in for skuid/ecr-token-refresh)."""
