"""Crash injection and the flash-sale simulations, as a library and as a command
(`python -m crash_sim batch --help`)."""
