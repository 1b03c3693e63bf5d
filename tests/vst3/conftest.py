"""Shared fixtures of the VST3 host tests: where the bundles are and which plugins to expect."""

import os
from pathlib import Path

import pytest

from plugins import PLUGINS

REPO_ROOT = Path(__file__).resolve().parents[2]
BUNDLE_DIR = Path(os.environ.get("STEMWISE_BUNDLE_DIR", REPO_ROOT / "target" / "bundled"))
BUNDLE_COMMAND = "cargo xtask bundle stem-strip master-bus --profile harness"


def bundled(key):
    """The spec of plugin `key` with the path of its built VST3 bundle; fails the test with the
    command to run when the bundle has not been built."""
    spec = PLUGINS[key]
    path = BUNDLE_DIR / spec.bundle
    if not path.is_dir():
        pytest.fail(
            f"no VST3 bundle at {path}; build the bundles first with `{BUNDLE_COMMAND}`",
            pytrace=False,
        )
    return spec.with_path(path)


@pytest.fixture(params=sorted(PLUGINS), ids=sorted(PLUGINS))
def plugin(request):
    """Each plugin in turn."""
    return bundled(request.param)


@pytest.fixture
def stem_strip():
    """The Stem Strip."""
    return bundled("stem-strip")


@pytest.fixture
def master_bus():
    """The Master Bus."""
    return bundled("master-bus")
