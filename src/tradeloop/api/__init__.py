"""HTTP interface: FastAPI routers (JSON under /api) and the app factory."""
