"""The test suite, one package per package of the source tree (see tests/README.md)."""
