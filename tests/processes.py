"""What a `qabot run` process printed, checked the same way by every test that starts one."""

from __future__ import annotations

import signal
import subprocess


def assert_clean_output(output: str, token: str) -> None:
    """No token (nor its secret half) and no traceback: what the person running the bot reads."""
    assert token.partition(":")[2] not in output, "the token is in the bot's output"
    assert "Traceback" not in output, output


def stop_cleanly(proc: subprocess.Popen[str], token: str) -> str:
    """SIGTERM, as a service manager stops the bot: it ends with 0 and clean output."""
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert_clean_output(out, token)
    return out
