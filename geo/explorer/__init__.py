"""The explorer: reads the built database and makes what the pages show (never imports the build pipeline)."""
