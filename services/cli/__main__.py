"""`python -m services.cli`."""

from services.cli.app import run

if __name__ == "__main__":
    run()
