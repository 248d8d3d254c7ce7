"""The local cloud's core: gateway, endpoint registry, patches, stores, heartbeat, loopback clients.

Nothing here knows any AWS service; each service package under `mysfits.local` builds on it.
"""
