"""keyd: the key agent that holds Corridor's root key in memory only.

Run it as `python -m corridor.keyd`; talk to it with `corridor.keyd.client.KeydClient`;
in tests use `corridor.keyd.testing.running_agent`. Must stay free of Django imports.
"""
