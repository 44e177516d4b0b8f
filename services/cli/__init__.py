"""The admins' command line (管理命令行): `python -m services.cli` or `fupin`."""
