"""Task builders, one module per family. Each exposes ``build(name, cfg) -> Task``."""
