"""Entry point for ``python -m cds_service``."""

from cds_service.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
