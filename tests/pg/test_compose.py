"""docker-compose.yml keeps the deployment's promises (no Docker engine needed to check them).

Chroma server <= 1.5.9 has an unpatched RCE (CVE-2026-45829): it must stay unpublished, on an
internal network that only the token proxy joins. Secrets come from .env, never the file.
"""

from __future__ import annotations

import re

import pytest
import yaml

from bot.config import Settings
from tests.conftest import ROOT

COMPOSE = ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict:
    """The parsed compose file."""
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def networks_of(service: dict) -> set[str]:
    """Names of the networks a service joins."""
    nets = service.get("networks", [])
    return set(nets) if isinstance(nets, (list, dict)) else set()


def test_chroma_is_never_published_and_only_the_proxy_reaches_it(compose: dict) -> None:
    services, networks = compose["services"], compose["networks"]
    chroma, proxy = services["chroma"], services["chroma-auth"]
    assert "ports" not in chroma and "ports" not in proxy
    assert networks_of(chroma) == {"chroma-private"}
    assert networks["chroma-private"]["internal"] is True
    joined = {name for name, s in services.items() if "chroma-private" in networks_of(s)}
    assert joined == {"chroma", "chroma-auth"}
    assert re.fullmatch(r"chromadb/chroma:1\.5\.\d+", chroma["image"])


def test_the_proxy_runs_the_tested_template_with_the_token(compose: dict) -> None:
    proxy = compose["services"]["chroma-auth"]
    # The same file tests/chroma_server runs in front of a real Chroma server.
    template = "./deploy/chroma-auth.conf.template"
    assert any(v.startswith(template + ":/etc/nginx/templates/") for v in proxy["volumes"])
    assert (ROOT / template).is_file()
    env = proxy["environment"]
    assert env["CHROMA_TOKEN"].startswith("${CHROMA_TOKEN:?")
    assert env["CHROMA_UPSTREAM"] == "chroma:8000"
    assert compose["services"]["assistant"]["environment"]["CHROMA_HOST"] == "chroma-auth"
    assert compose["services"]["assistant"]["environment"]["CHROMA_PORT"] == env["PROXY_LISTEN"]


def test_postgres_and_backend_stay_internal(compose: dict) -> None:
    services, networks = compose["services"], compose["networks"]
    assert networks["backend"]["internal"] is True
    assert "ports" not in services["postgres"] and networks_of(services["postgres"]) == {"backend"}
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assistant = services["assistant"]
    # Visitors through the edge proxy only (tests/edge/test_compose.py); a way out for Telegram.
    assert networks_of(assistant) == {"egress", "edge", "backend"}
    assert assistant["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_assistant_settings_names_are_real_and_secrets_come_from_env(compose: dict) -> None:
    assistant = compose["services"]["assistant"]
    assert assistant["build"] == "." and assistant["env_file"] == ".env"
    fields = {name.upper() for name in Settings.model_fields}
    assert set(assistant["environment"]) <= fields
    assert assistant["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert any(v.endswith(":/data") for v in assistant["volumes"])  # the Dockerfile's DATA_DIR
    # Every credential is an interpolation from .env, never a literal.
    text = COMPOSE.read_text(encoding="utf-8")
    for name in ("POSTGRES_PASSWORD", "CHROMA_TOKEN"):
        assert f"${{{name}:?" in text
    literal = re.compile(r"(?i)(password|token|secret)[\"']?\s*[:=]\s*[\"']?(?!\$\{)[A-Za-z0-9]")
    assert not [line for line in text.splitlines()
                if literal.search(line) and not line.lstrip().startswith("#")]  # fmt: skip
