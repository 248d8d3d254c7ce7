"""The embedded local cloud: moto's control plane, our fidelity fixes and a data plane.

Only `client` and `control` are imported by the library; `server` (and moto with it)
loads inside the local cloud's own process.
"""
