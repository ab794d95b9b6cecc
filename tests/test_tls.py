"""Encrypted connections: against a PostgreSQL that accepts only TLS, with a certificate from
a CA made here, `sslmode=verify-full` in DATABASE_URL carries migrations, the pool, the change
listener and backups over TLS and refuses a server whose certificate does not match; `serve
--certfile --keyfile` answers HTTPS."""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gql.postgres.embedded import server_user_ids
from tests.support import REPOSITORY, wait_for
from tests.test_cli import env_without_database, free_port, run_cli, stop

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")),
                                reason="starts a PostgreSQL of its own: run once, in the embedded run")


@dataclass
class TlsServer:
    port: int
    ca: Path
    cert: Path
    key: Path

    def url(self, host: str = "localhost", sslmode: str = "verify-full") -> str:
        return f"postgresql://postgres@{host}:{self.port}/postgres?sslmode={sslmode}&sslrootcert={self.ca}"


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA, and a certificate it signed for DNS name localhost only (not 127.0.0.1)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gql test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    assert ipaddress.ip_address("127.0.0.1") not in [
        n.value for n in cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        if isinstance(n, x509.IPAddress)]
    paths = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(_pem_key(key))
    return paths


def system_postgres() -> Path | None:
    """The machine's own PostgreSQL programs (built with TLS; the embedded wheel's are not)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else None


@pytest.fixture(scope="module")
def tls_server(server_url: str) -> Iterator[TlsServer]:
    """(server_url: the embedded test cluster, whose start makes the server's system user.)"""
    bin_dir = system_postgres()
    if bin_dir is None:
        pytest.skip("no PostgreSQL built with TLS on this machine (the embedded one has none)")
    directory = Path(tempfile.mkdtemp(prefix="gql-tls-"))
    os.chmod(directory, 0o755)  # as root, the server runs as another user and must get in
    ca, cert, key = make_certificates(directory)
    pgdata = directory / "pg"
    pgdata.mkdir(mode=0o700)
    ids = server_user_ids()
    for path in (pgdata,) if ids else ():
        os.chown(path, *ids)  # type: ignore[misc]
    as_server = {"user": ids[0]} if ids else {}
    subprocess.run([str(bin_dir / "initdb"), "-D", str(pgdata), "-U", "postgres", "--auth=trust"],
                   check=True, capture_output=True, **as_server)  # type: ignore[call-overload]
    for name, source in (("server.crt", cert), ("server.key", key)):
        shutil.copy(source, pgdata / name)
        os.chmod(pgdata / name, 0o600)
        if ids is not None:
            os.chown(pgdata / name, *ids)
    with (pgdata / "postgresql.conf").open("a") as conf:
        conf.write("\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n")
    # TLS or nothing over TCP; the socket stays for the test's own set-up.
    (pgdata / "pg_hba.conf").write_text("local all all trust\nhostssl all all 127.0.0.1/32 trust\n"
                                        "host all all 127.0.0.1/32 reject\n")
    port = free_port()
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(pgdata), "-w"]
    subprocess.run([*pg_ctl, "start", "-l", str(pgdata / "log"), "-o", f"-h 127.0.0.1 -p {port} -k '{pgdata}'"],
                   check=True, capture_output=True, **as_server)  # type: ignore[call-overload]
    try:
        yield TlsServer(port, ca, cert, key)
    finally:
        subprocess.run([*pg_ctl, "stop", "-m", "fast"], check=False, capture_output=True,
                       **as_server)  # type: ignore[call-overload]
        shutil.rmtree(directory, ignore_errors=True)


async def test_every_connection_is_encrypted_and_a_wrong_server_is_refused(tls_server: TlsServer,
                                                                           tmp_path: Path) -> None:
    env = env_without_database(DATABASE_URL=tls_server.url(), GQL_DATA_DIR=str(tmp_path / "data"),
                               LOG_LEVEL="WARNING")
    migrated = run_cli("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    dump = tmp_path / "over-tls.dump"
    assert run_cli("backup", str(dump), env=env).returncode == 0 and dump.stat().st_size > 0

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gql", "serve", "--port", str(port), "--host", "127.0.0.1",
         "--certfile", str(tls_server.cert), "--keyfile", str(tls_server.key)],
        cwd=REPOSITORY, env=env, text=True, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)
    try:
        async with httpx.AsyncClient(base_url=f"https://localhost:{port}", verify=ssl.create_default_context(cafile=str(tls_server.ca))) as http:
            async def healthy() -> bool:
                assert process.poll() is None, process.communicate()[0]
                try:
                    return (await http.get("/health")).status_code == 200
                except httpx.TransportError:
                    return False
            await wait_for(healthy, timeout=120)
            body = (await http.post("/graphql", json={"query": "{ categories { slug } }"})).json()
            assert "errors" not in body and body["data"]["categories"]
        conn = await asyncpg.connect(tls_server.url())
        try:  # the server's pool and its change listener: every connection of theirs is TLS
            rows = await conn.fetch("""
                select a.application_name, s.ssl from pg_stat_activity a join pg_stat_ssl s using (pid)
                 where a.application_name like 'directory-gql%'""")
        finally:
            await conn.close()
        assert {r["application_name"] for r in rows} >= {"directory-gql", "directory-gql-listener"}
        assert all(r["ssl"] for r in rows)
    finally:
        stop(process)

    # The certificate names localhost, not 127.0.0.1: verify-full refuses; and without TLS
    # the server refuses.
    wrong_host = run_cli("migrate", "status", env={**env, "DATABASE_URL": tls_server.url(host="127.0.0.1")})
    assert wrong_host.returncode != 0 and "certificate" in (wrong_host.stderr + wrong_host.stdout).lower()
    plain = run_cli("migrate", "status", env={**env, "DATABASE_URL": tls_server.url(sslmode="disable")})
    assert plain.returncode != 0
