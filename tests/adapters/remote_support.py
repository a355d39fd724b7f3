"""Test helpers for remote debugging: a real sshd on 127.0.0.1, and fixture binaries whose
DWARF paths point at a source directory that no longer exists (as for a binary built on
another machine or in a container)."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import gofixtures

SSHD = "/usr/sbin/sshd"
SSHD_MISSING = (
    "sshd (openssh-server) is not installed; the remote tests need a real one. "
    "Run the suite through scripts/test (it installs it as root) or: apt-get install openssh-server"
)


@dataclass
class MovedBuild:
    """A fixture built from a copy of its sources at ``build_dir``, which was deleted after."""

    binary: Path
    build_dir: Path
    local_dir: Path


def build_moved(name: str, workdir: Path) -> MovedBuild:
    build_dir = workdir / "moved-src" / name
    shutil.copytree(gofixtures.source_dir(name), build_dir)
    binary = workdir / "bin" / name
    binary.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["go", "build", f"-gcflags={gofixtures.GCFLAGS}", "-o", str(binary), "."],
        cwd=build_dir,
        env=gofixtures.go_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    shutil.rmtree(build_dir.parent)
    return MovedBuild(binary=binary, build_dir=build_dir, local_dir=gofixtures.source_dir(name))


@dataclass
class SshServer:
    """A running sshd and the client options that reach it without touching ~/.ssh."""

    process: subprocess.Popen
    port: int
    directory: Path
    user: str

    @property
    def destination(self) -> str:
        return f"{self.user}@127.0.0.1"

    def client_options(self, *, key: str = "clientkey", known_hosts: str = "known_hosts") -> tuple[str, ...]:
        return (
            "-F", "/dev/null",
            "-p", str(self.port),
            "-i", str(self.directory / key),
            "-o", "IdentitiesOnly=yes",
            "-o", f"UserKnownHostsFile={self.directory / known_hosts}",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes",
        )  # fmt: skip

    def log(self) -> str:
        return (self.directory / "sshd.log").read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sshd(directory: Path, extra_config: tuple[str, ...] = ()) -> SshServer:
    """sshd -D on a free loopback port, key-only login for the current user."""
    directory.mkdir(parents=True, exist_ok=True)
    _keygen(directory / "hostkey")
    _keygen(directory / "clientkey")
    _keygen(directory / "strangerkey")
    shutil.copy(directory / "clientkey.pub", directory / "authorized_keys")
    (directory / "empty_known_hosts").write_text("")
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation directory
    host_key = (directory / "hostkey.pub").read_text().split()[:2]
    for _ in range(5):
        port = _free_port()
        (directory / "known_hosts").write_text(f"[127.0.0.1]:{port} {' '.join(host_key)}\n")
        config = directory / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"Port {port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {directory / 'hostkey'}",
                    f"AuthorizedKeysFile {directory / 'authorized_keys'}",
                    "StrictModes no",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PubkeyAuthentication yes",
                    "PermitRootLogin prohibit-password",
                    "UsePAM no",
                    "PidFile none",
                    *(extra_config or ("AllowStreamLocalForwarding yes",)),
                    "LogLevel VERBOSE",
                    "",
                ]
            )
        )
        log = open(directory / "sshd.log", "wb")
        process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        server = SshServer(process, port, directory, getpass.getuser())
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and process.poll() is None:
            if "Server listening" in server.log():
                return server
            time.sleep(0.02)
        server.stop()
        if "Address already in use" not in server.log():
            raise RuntimeError(f"sshd did not start:\n{server.log()}")
    raise RuntimeError("sshd found no free port in 5 tries")
