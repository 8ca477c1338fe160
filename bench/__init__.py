"""The speed benchmark of issue 5: `make bench`."""
