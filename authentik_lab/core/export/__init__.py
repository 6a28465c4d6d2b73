"""Export the lab to production: Authentik blueprints and Helm values (pure builders)."""
