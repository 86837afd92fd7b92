"""The domain core: pure computation, time always passed in, no I/O."""
