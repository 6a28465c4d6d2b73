"""The app's own env wiring: what its code reads (model), what frameworks read (facts), which preset its dependencies
name (presets), and the one name per role `--env-out` writes (wiring). Pure; the scan itself is adapters.app_source."""
