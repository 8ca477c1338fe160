"""Two (or more) real team-server processes sharing a real Redis, behind a real nginx running the configuration of
docs/deploy.md with TLS: only its ports, certificate paths and allowed network are changed for the test.

nginx is skipped, saying why, when not installed; with CI=true its absence fails (`.ci/run` installs it).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import REPO
from tests.e2e.http_process import HttpServer, http_server, new_key
from tests.e2e.signin_flow import OAuthApp, free_port, sign_in_settings
from tests.redis_server import RedisServer

DEPLOY = REPO / "docs" / "deploy.md"
START_TIMEOUT_S = 10.0


def deploy_block(language: str, containing: str) -> str:
    """The fenced block of docs/deploy.md in `language` that holds `containing`."""
    for block in re.findall(rf"```{language}\n(.*?)```", DEPLOY.read_text(), re.S):
        if containing in block:
            return str(block)
    raise AssertionError(f"docs/deploy.md has no {language} block with {containing!r}")


def need_nginx() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
    if found is None:
        reason = "nginx is not installed (apt-get install nginx-light; .ci/run installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (the clients trust it alone)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def nginx_config(folder: Path, port: int, replicas: list[int], cert: Path, key: Path) -> Path:
    """docs/deploy.md's nginx configuration, on `port` with the test's certificate, in front of `replicas`."""
    site = deploy_block("nginx", "upstream sentry_error_monitor")
    servers = re.findall(r"^    server 127\.0\.0\.1:\d+ (.*);$", site, re.M)
    assert len(servers) == 2, "the documented upstream has two replicas"
    upstream = "".join(f"    server 127.0.0.1:{replica} {servers[0]};\n" for replica in replicas)
    site = re.sub(r"(?:^    server 127\.0\.0\.1:\d+ .*;\n)+", upstream, site, flags=re.M)
    site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;")
    site = re.sub(r"ssl_certificate .*;", f"ssl_certificate {cert};", site)
    site = re.sub(r"ssl_certificate_key .*;", f"ssl_certificate_key {key};", site)
    site = site.replace("allow 10.0.0.0/8;", "allow 127.0.0.1;")
    temp = "".join(
        f"    {kind}_temp_path {folder / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config = folder / "nginx.conf"
    config.write_text(
        ("user root root;\n" if os.geteuid() == 0 else "")  # the workers read the test's private folder
        + f"daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} warn;\n"
        + "events { worker_connections 1024; }\n"
        + f"http {{\n    access_log {folder / 'access.log'};\n{temp}{site}}}\n"
    )
    return config


@contextmanager
def running_nginx(folder: Path, config: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    binary = need_nginx()
    log = (folder / "nginx.out").open("wb")
    process = subprocess.Popen([binary, "-p", str(folder), "-c", str(config)], stdout=log, stderr=subprocess.STDOUT)
    log.close()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"nginx did not start: {(folder / 'nginx.out').read_text()}") from None
                time.sleep(0.05)
        yield process
    finally:
        process.terminate()
        process.wait(10)


@dataclass
class Cluster:
    url: str  # the public MCP URL, at nginx
    base: str
    replicas: list[HttpServer]
    ports: list[int]
    tls: ssl.SSLContext
    redis: RedisServer
    settings: dict[str, str]
    key: str | None  # the API key, in service mode

    def served(self) -> list[int]:
        """How many MCP requests each replica has answered so far (from its access log)."""
        return [server.log_text().count("POST /mcp ") for server in self.replicas]


@contextmanager
def cluster(
    sentry: tuple[str, str],
    redis: RedisServer,
    folder: Path,
    *,
    sign_in: bool = False,
    oauth_app: OAuthApp | None = None,
    replicas: int = 2,
    **env: str,
) -> Iterator[Cluster]:
    """`replicas` servers sharing `redis` behind nginx. Users sign in (`sign_in`, or an `oauth_app`): through
    `oauth_app`, else with their own API tokens; otherwise callers use an API key."""
    folder.mkdir(parents=True, exist_ok=True)
    port, ports = free_port(), [free_port() for _ in range(replicas)]
    base = f"https://127.0.0.1:{port}"
    settings = {
        "SENTRY_URL": sentry[0],
        "SENTRY_ORG": sentry[1],
        "SENTRY_MONITOR_PUBLIC_URL": f"{base}/mcp",
        "SENTRY_MONITOR_REDIS_URL": redis.url,
        **(sign_in_settings(base, oauth_app) if sign_in or oauth_app else {}),
        **env,
    }
    key = None if sign_in or oauth_app else new_key()
    cert, private = certificate(folder)
    tls = ssl.create_default_context(cafile=str(cert))
    with ExitStack() as stack:
        servers = [
            stack.enter_context(
                http_server(
                    None, folder / f"replica{index}.log", [key] if key else [], "--port", str(replica), **settings
                )
            )
            for index, replica in enumerate(ports)
        ]
        config = nginx_config(folder, port, ports, cert, private)
        stack.enter_context(running_nginx(folder, config, port))
        yield Cluster(f"{base}/mcp", base, servers, ports, tls, redis, settings, key)
