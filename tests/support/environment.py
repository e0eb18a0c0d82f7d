"""The environment a service subprocess starts from."""

import os


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("RECORDING_", "AWS_"))}
