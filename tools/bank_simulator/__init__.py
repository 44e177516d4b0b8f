"""A partner bank over real HTTP: idempotent payment instructions, signed callbacks, injectable faults."""
