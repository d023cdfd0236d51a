"""The security audit behind ``make audit``: figures for issue 16's acceptance list, each with
its goal (``python -m audits [section ...]``; exit code 1 when a figure misses its goal)."""

import warnings

# the app's TestClient (inputs section) is Starlette's on httpx: its notice is not a finding
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
