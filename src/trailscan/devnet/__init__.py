"""A local EVM chain for tests, the example world and benchmarks: anvil from npm, started on loopback.

Only loopback is used. The anvil binary is found at $TRAILSCAN_ANVIL, else node_modules/.bin/anvil
above the working directory or this package, else on PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from eth_abi.abi import encode as abi_encode
from eth_utils.abi import function_signature_to_4byte_selector

from ..errors import TrailscanError

CONTRACTS = Path(__file__).resolve().parent / "contracts" / "build"
# anvil's first default dev account (from the well-known test mnemonic): never holds real funds.
DEV_ACCOUNTS = (
    "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
    "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
    "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc",
    "0x90f79bf6eb2c4f870365e785982e1f101e93b906",
    "0x15d34aaf54267db7d7c367839aaf71a00a2c6a65",
    "0x9965507d1a55bcccc0b73e5fa8a8bbb8f3c88f0a",
    "0x976ea74026e726554db657fa54763abd0c3a0aa9",
    "0x14dc79964da2c08b23698b3d3cc7ca32193d9955",
    "0x23618e81e3f5cdf7f54c3d65f7fbc0abf5b21e8f",
    "0xa0ee7a142d267c1f36714e4a8f75612f20a79720",
)


def find_anvil() -> str:
    env = os.environ.get("TRAILSCAN_ANVIL")
    if env:
        return env
    for base in (Path.cwd(), *Path.cwd().parents, *Path(__file__).resolve().parents):
        candidate = base / "node_modules" / ".bin" / "anvil"
        if candidate.exists():
            return str(candidate)
    found = shutil.which("anvil")
    if found:
        return found
    raise TrailscanError("anvil not found", hint="run 'bash scripts/setup' (npm install) or set TRAILSCAN_ANVIL")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@cache
def artifact(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CONTRACTS / f"{name}.json").read_text())
    return data


def calldata(signature: str, types: list[str], args: list[Any]) -> str:
    """ABI-encode a call: 4-byte selector of ``signature`` then the arguments."""
    return "0x" + (function_signature_to_4byte_selector(signature) + abi_encode(types, args)).hex()


@dataclass
class Anvil:
    """A running anvil process on loopback; use as a context manager or call :meth:`stop`."""

    url: str
    process: subprocess.Popen[bytes]
    chain_id: int

    @classmethod
    def start(cls, *, chain_id: int = 31337, extra: list[str] | None = None, timeout: float = 20.0) -> Anvil:
        port = free_port()
        args = [find_anvil(), "--host", "127.0.0.1", "--port", str(port), "--chain-id", str(chain_id),
                "--silent", *(extra or [])]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        node = cls(f"http://127.0.0.1:{port}", proc, chain_id)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                raise TrailscanError(f"anvil exited at start: {err.strip()[:300]}")
            try:
                node.rpc("eth_chainId")
                return node
            except httpx.TransportError:
                time.sleep(0.05)
        node.stop()
        raise TrailscanError("anvil did not answer within its start-up time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Anvil:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- JSON-RPC helpers for building worlds ------------------------------------------------------

    def rpc(self, method: str, *params: Any) -> Any:
        response = httpx.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)},
                              timeout=60)
        body = response.json()
        if "error" in body:
            raise TrailscanError(f"anvil {method} failed: {body['error'].get('message')}")
        return body["result"]

    def send(self, sender: str, to: str | None, *, value: int = 0, data: str = "0x",
             gas: int | None = None) -> str:
        """Send a transaction from an unlocked (or impersonated) account and mine it; returns the hash."""
        tx: dict[str, Any] = {"from": sender, "value": hex(value), "data": data}
        if to is not None:
            tx["to"] = to
        if gas is not None:
            tx["gas"] = hex(gas)
        tx_hash: str = self.rpc("eth_sendTransaction", tx)
        return tx_hash

    def receipt(self, tx_hash: str) -> dict[str, Any]:
        result: dict[str, Any] = self.rpc("eth_getTransactionReceipt", tx_hash)
        return result

    def deploy(self, name: str, sender: str = DEV_ACCOUNTS[0], *, args: bytes = b"") -> str:
        """Deploy a contract from the package's build artifacts; returns its lower-case address."""
        code = artifact(name)["bytecode"] + args.hex()
        receipt = self.receipt(self.send(sender, None, data=code))
        if receipt["status"] != "0x1":
            raise TrailscanError(f"deploying {name} failed")
        address: str = receipt["contractAddress"]
        return address.lower()

    def place(self, name: str, address: str) -> str:
        """Put a contract's runtime code at a fixed address (no constructor runs)."""
        self.rpc("anvil_setCode", address, artifact(name)["runtime"])
        return address.lower()

    def call(self, sender: str, to: str, signature: str, types: list[str], args: list[Any], *,
             value: int = 0, gas: int | None = None) -> str:
        return self.send(sender, to, value=value, data=calldata(signature, types, args), gas=gas)

    def mine(self, blocks: int = 1) -> None:
        self.rpc("anvil_mine", hex(blocks))

    def block_number(self) -> int:
        return int(self.rpc("eth_blockNumber"), 16)
