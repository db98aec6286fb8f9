"""A port in use is one clear error (exit 2) before any "serving" line, for every server command."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

COMMANDS = {
    "serve": ["serve"],
    "serve-model": ["serve-model", "--model", "openai:http://127.0.0.1:9/v1/m"],
    "mcp": ["mcp", "--transport", "http"],
}


@pytest.fixture
def busy_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_port_in_use_is_an_error_before_any_serving_line(command, busy_port):
    args = [sys.executable, "-m", "reasoning.cli", *COMMANDS[command], "--port", str(busy_port)]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "cannot listen on 127.0.0.1:" in done.stderr and str(busy_port) in done.stderr
    assert "serving" not in done.stderr.lower() and "loading" not in done.stderr.lower(), done.stderr
