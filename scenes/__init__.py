"""Ground-truth door-camera scenes: the generator and its cache (demo, bench and tests)."""
