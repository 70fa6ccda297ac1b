"""`python -m ecr_token_refresh`: importing console blocks the stop signals before anything else is imported."""

from ecr_token_refresh.console import run

run()
