"""The static binary and the FROM scratch image of deploy/Containerfile, run
with podman: its config, what its layer holds, no shell, and a tool called
through a read-only container that answers its probes, drains on SIGTERM
and whose compile cache survives a restart."""

import io
import json
import os
import re
import shutil
import struct
import subprocess
import tarfile
import threading
from pathlib import Path

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import CA_BUNDLE, built

PT_INTERP = 3
USER = 65532


def program_header_types(path: Path) -> list[int]:
    """The p_type of every program header of a 64-bit little-endian ELF."""
    data = path.read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "not a 64-bit LE ELF"
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    return [struct.unpack_from("<I", data, phoff + i * phentsize)[0] for i in range(phnum)]


def test_the_binary_is_static(static_bin):
    # No program interpreter: the kernel runs it with no dynamic loader, and
    # so with no libc from the image.
    assert PT_INTERP not in program_header_types(static_bin)
    ldd = subprocess.run(["ldd", str(static_bin)], capture_output=True, text=True, timeout=30)
    said = ldd.stdout + ldd.stderr
    assert "not a dynamic executable" in said or "statically linked" in said, said
    version = subprocess.run([str(static_bin), "--version"], capture_output=True, text=True, timeout=30)
    assert version.returncode == 0 and version.stdout.startswith("moat "), version


def test_the_image_config(podman, image):
    config = json.loads(podman.run("image", "inspect", image).stdout)[0]["Config"]
    env = dict(variable.split("=", 1) for variable in config["Env"])
    assert env["SSL_CERT_FILE"] == "/etc/ssl/certs/ca-certificates.crt"
    assert env["TMPDIR"] == "/tmp"
    assert config["User"] == f"{USER}:{USER}"
    assert config["Entrypoint"] == ["/moat"]
    cmd = config["Cmd"]
    assert cmd[0] == "serve"
    # The default command serves /plugins over HTTP behind a mounted token.
    assert cmd[cmd.index("--plugins") + 1] == "/plugins"
    assert cmd[cmd.index("--cache") + 1] == "/cache"
    assert cmd[cmd.index("--http") + 1] == "0.0.0.0:8080"
    assert cmd[cmd.index("--token-file") + 1] == "/run/secrets/moat-token"
    assert set(config["Volumes"]) == {"/plugins", "/cache"}
    assert set(config["ExposedPorts"]) == {"8080/tcp"}
    assert config["Labels"]["org.opencontainers.image.title"] == "moat"
    assert "org.opencontainers.image.licenses" in config["Labels"]


def test_the_layer_holds_the_binary_and_nothing_else(podman, image, static_bin, tmp_path):
    archive = tmp_path / "image.tar"
    podman.run("image", "save", "--format", "docker-archive", "-o", str(archive), image)
    entries, files = {}, {}
    with tarfile.open(archive) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        for layer in manifest[0]["Layers"]:
            with tarfile.open(fileobj=io.BytesIO(outer.extractfile(layer).read())) as inner:
                for member in inner.getmembers():
                    name = member.name.strip("/").removeprefix("./")
                    entries[name] = member
                    if member.isfile():
                        files[name] = inner.extractfile(member).read()
    directories = {"cache", "etc", "etc/ssl", "etc/ssl/certs"}
    assert set(entries) == {"moat", "etc/ssl/certs/ca-certificates.crt"} | directories, sorted(entries)
    assert set(files) == {"moat", "etc/ssl/certs/ca-certificates.crt"}
    assert files["moat"] == static_bin.read_bytes()
    assert files["etc/ssl/certs/ca-certificates.crt"] == CA_BUNDLE.read_bytes()
    assert entries["moat"].mode & 0o777 == 0o555 and entries["moat"].uid == 0
    assert entries["cache"].isdir() and (entries["cache"].uid, entries["cache"].gid) == (USER, USER)


def test_there_is_no_shell(podman, image, containers):
    for shell in ["/bin/sh", "/bin/bash", "/busybox"]:
        done = podman.run("run", "--rm", "--name", containers(), "--network", "none",
                          "--entrypoint", shell, image, "-c", "true", check=False)
        assert done.returncode != 0, f"{shell} ran"
        assert re.search(r"no such file|not found", done.stderr, re.I), done.stderr


class Running:
    """A detached container whose log is followed for moat's serving line."""

    def __init__(self, podman, name: str):
        self.podman, self.name, self.log = podman, name, []
        self.url = ""
        found = threading.Event()
        follow = podman.popen("logs", "--follow", name)

        def read():
            for line in follow.stdout:
                self.log.append(line)
                match = re.search(r"over Streamable HTTP at (http://\S+)", line)
                if match:
                    self.url = match.group(1)
                    found.set()
            found.set()

        threading.Thread(target=read, daemon=True).start()
        found.wait(timeout=120)
        self.follower = follow

    def stop(self) -> int:
        self.podman.run("stop", "--time", "15", self.name)
        self.follower.wait(timeout=30)
        state = json.loads(self.podman.run("inspect", self.name).stdout)[0]["State"]
        return state["ExitCode"]


def start(podman, image, name, plugins: Path, cache: str, token: Path, *serve: str) -> Running:
    podman.run(
        "run", "--detach", "--name", name,
        "--read-only", "--network", "host", "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges",
        "-v", f"{plugins}:/plugins:ro",
        "-v", f"{cache}:/cache",
        "-v", f"{token}:/run/secrets/moat-token:ro",
        image, *serve,
    )
    return Running(podman, name)


def cache_entries(podman, volume: str) -> dict[str, tuple[int, bytes]]:
    """The compiled plugins in a cache volume (not wasmtime's usage stats,
    which it updates on every hit): name -> (mtime, bytes)."""
    root = Path(json.loads(podman.run("volume", "inspect", volume).stdout)[0]["Mountpoint"])
    return {
        str(path.relative_to(root)): (path.stat().st_mtime_ns, path.read_bytes())
        for path in root.rglob("*")
        if path.is_file() and not path.name.endswith(".stats")
    }


async def mul(url: str, token: str) -> dict:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as session:
        transport = streamable_http_client(url, http_client=session)
        async with Client(transport, mode="legacy", read_timeout_seconds=60) as client:
            result = await client.call_tool("mul", {"x": 25, "y": 17})
            assert not result.is_error, result
            return result.structured_content


def math_plugins(tmp_path):
    """A plugin directory holding math, readable by the container's user."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    shutil.copy(built("MOAT_MATH_WASM"), plugins / "math.wasm")
    plugins.chmod(0o755)
    (plugins / "math.wasm").chmod(0o444)
    return plugins


@pytest.mark.anyio
async def test_a_read_only_container_serves_a_tool_and_keeps_its_compile_cache(podman, image, containers, tmp_path):
    plugins = math_plugins(tmp_path)
    token = tmp_path / "token"
    token.write_text("container-secret\n")
    os.chown(token, USER, USER)
    token.chmod(0o400)
    cache = containers("volume")
    podman.run("volume", "create", cache)
    serve = ["serve", "--plugins", "/plugins", "--cache", "/cache",
             "--http", "127.0.0.1:0", "--token-file", "/run/secrets/moat-token"]

    first = start(podman, image, containers(), plugins, cache, token, *serve)
    assert first.url, "moat did not serve:\n" + "".join(first.log)
    # The probes the chart points Kubernetes at, with no credential.
    base = first.url.removesuffix("/mcp")
    assert httpx2.get(base + "/healthz", timeout=30).status_code == 200
    assert httpx2.get(base + "/readyz", timeout=30).status_code == 200
    assert await mul(first.url, "container-secret") == {"result": 425}
    # `podman stop` sends SIGTERM: moat drains and exits 0, as a pod does.
    assert first.stop() == 0, "".join(first.log)
    compiled = cache_entries(podman, cache)
    assert compiled, "the first start wrote nothing to the cache volume:\n" + "".join(first.log)

    second = start(podman, image, containers(), plugins, cache, token, *serve)
    assert second.url, "moat did not serve again:\n" + "".join(second.log)
    assert await mul(second.url, "container-secret") == {"result": 425}
    assert second.stop() == 0, "".join(second.log)
    # The second start compiled nothing: every entry is the one the first wrote.
    assert cache_entries(podman, cache) == compiled


def test_the_default_command_serves_with_a_mounted_token(podman, image, containers, tmp_path):
    plugins = math_plugins(tmp_path)
    token = tmp_path / "token"
    token.write_text("default-secret\n")
    token.chmod(0o444)
    cache = containers("volume")
    podman.run("volume", "create", cache)
    # Its own network namespace: 0.0.0.0:8080 there is nobody else's port.
    name = containers()
    podman.run(
        "run", "--detach", "--name", name, "--read-only", "--network", "none",
        "-v", f"{plugins}:/plugins:ro", "-v", f"{cache}:/cache",
        "-v", f"{token}:/run/secrets/moat-token:ro", image,
    )
    running = Running(podman, name)
    assert running.url == "http://0.0.0.0:8080/mcp", "".join(running.log)
    running.stop()


def test_without_a_token_the_default_command_refuses_to_listen(podman, image, containers, tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    plugins.chmod(0o755)
    done = podman.run("run", "--rm", "--name", containers(), "--read-only", "--network", "none",
                      "-v", f"{plugins}:/plugins:ro", image, check=False)
    assert done.returncode != 0
    said = done.stdout + done.stderr
    assert "cannot read the token file /run/secrets/moat-token" in said, said
