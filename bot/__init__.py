"""zwbot — 政务服务智能助手, the citizen self-service assistant of a government service centre."""

__version__ = "0.1.0"
