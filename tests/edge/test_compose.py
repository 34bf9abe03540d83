"""docker-compose.yml wires the edge as the README says (no Docker here: the file is read).

What is checked is what would silently break the edge in a real deployment: the assistant
published around the proxy, a template variable the container is not given, TRUSTED_PROXIES
not matching the edge network, a body limit below the app's upload limit.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import yaml

from bot.config import Settings
from bot.web.admin import MULTIPART_OVERHEAD
from tests.conftest import ROOT
from tests.edge.conftest import TEMPLATE, EdgeProxy, TlsFiles

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]


def default_of(value: str) -> str:
    """The default of a compose interpolation such as "${EDGE_SUBNET:-172.28.14.0/24}"."""
    match = re.fullmatch(r"\$\{\w+:-([^}]*)\}", value)
    assert match, f"not an interpolation with a default: {value!r}"
    return match.group(1)


def networks_of(service: dict) -> set[str]:
    networks = service.get("networks", [])
    return set(networks if isinstance(networks, list) else networks.keys())


def test_only_the_edge_is_published_and_it_shares_one_internal_network_with_the_assistant():
    assert "ports" not in SERVICES["assistant"], "visitors must come through the edge"
    for name, service in SERVICES.items():
        if name != "edge":
            assert "ports" not in service, f"{name} is published"
    published = [entry.rsplit(":", 1)[1] for entry in SERVICES["edge"]["ports"]]
    assert sorted(published) == ["443", "80"]

    shared = networks_of(SERVICES["edge"]) & networks_of(SERVICES["assistant"])
    # One shared network, so "assistant" resolves to its address there and nowhere else.
    assert shared == {"edge"}
    on_edge_network = {name for name, s in SERVICES.items() if "edge" in networks_of(s)}
    assert on_edge_network == {"edge", "assistant"}
    assert COMPOSE["networks"]["edge"].get("internal") is True


def test_trusted_proxies_is_the_edge_networks_fixed_subnet():
    subnets = [c["subnet"] for c in COMPOSE["networks"]["edge"]["ipam"]["config"]]
    assert len(subnets) == 1
    trusted = SERVICES["assistant"]["environment"]["TRUSTED_PROXIES"]
    assert trusted == subnets[0], "TRUSTED_PROXIES and the edge subnet must be one variable"
    network = ipaddress.ip_network(default_of(trusted))
    assert network.is_private


def test_the_edge_container_gets_every_template_variable_and_the_tested_template():
    environment = SERVICES["edge"]["environment"]
    needed = set(re.findall(r"\$\{(\w+)\}", TEMPLATE.read_text(encoding="utf-8")))
    assert needed == set(environment), needed ^ set(environment)
    mounts = [v.rsplit(":", 2) for v in SERVICES["edge"]["volumes"]]
    # Rendered to conf.d/default.conf, replacing the image's welcome-page server on port 80.
    assert [
        "./deploy/edge.conf.template",
        "/etc/nginx/templates/default.conf.template",
        "ro",
    ] in mounts
    assert environment["ASSISTANT_UPSTREAM"] == "assistant:8000"
    tls_dir = next(m for m in mounts if m[1] == "/etc/nginx/tls")
    assert tls_dir[2] == "ro"
    assert Path(environment["EDGE_TLS_CERT"]).parent == Path("/etc/nginx/tls")
    assert Path(environment["EDGE_TLS_KEY"]).parent == Path("/etc/nginx/tls")


def test_the_edge_body_limit_lets_the_largest_upload_through():
    limit = default_of(SERVICES["edge"]["environment"]["EDGE_MAX_BODY"])
    match = re.fullmatch(r"(\d+)([km]?)", limit)
    assert match, limit
    size = int(match.group(1)) * {"": 1, "k": 1024, "m": 1024 * 1024}[match.group(2)]
    default_upload = Settings(_env_file=None).max_file_bytes  # type: ignore[call-arg]
    assert size >= default_upload + MULTIPART_OVERHEAD
    # …and not far above it: the edge is where oversized bodies should stop.
    assert size <= default_upload + 2 * 1024 * 1024


def test_nginx_accepts_the_template_with_the_compose_values(tmp_path: Path, tls_files: TlsFiles):
    """`nginx -t` on the compose values; only host names, ports and files are local ones."""
    edge = EdgeProxy(tmp_path, upstream_port=8000, tls=tls_files)
    environment = SERVICES["edge"]["environment"]
    for name in ("EDGE_CLIENT_TIMEOUT", "EDGE_KEEPALIVE_TIMEOUT", "EDGE_HSTS_MAX_AGE"):
        edge.values[name] = environment[name]
    edge.values["EDGE_MAX_BODY"] = default_of(environment["EDGE_MAX_BODY"])
    result = edge.check()
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
