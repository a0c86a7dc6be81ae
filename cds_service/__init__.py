"""CDS Hooks service that checks the medical necessity of intrathecal drug delivery orders."""

__version__ = "0.1.0"
