"""Run the bank simulator: python -m tools.bank_simulator --port 8001 --callback-url URL --secret S."""

import argparse

import uvicorn

from tools.bank_simulator.app import create_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--callback-url", default="")
    parser.add_argument("--secret", default="")
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.callback_url, args.secret), host=args.host, port=args.port, log_level="warning"
    )


if __name__ == "__main__":
    main()
