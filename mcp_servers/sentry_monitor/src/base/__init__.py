"""The base every layer may use: settings (`config`), the error tree (`errors`), the version and concurrency
helpers. Imports nothing of the product but the framework's contracts."""
