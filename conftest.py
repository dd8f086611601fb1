"""Root of the test suite: the shared fixtures (databases on both backends, tokens, ports, SMTP)."""

pytest_plugins = ["cnum_shared.testing"]
