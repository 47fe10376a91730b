"""Generative models: configs, modules, registry and checkpoint files (no Qt)."""
