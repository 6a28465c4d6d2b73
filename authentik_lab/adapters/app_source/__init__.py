"""Reading an app's folder: `scan.scan(root)` (env reads via js/js_context for JavaScript/TypeScript through tree-sitter
and python through ast) and `scan.dependencies(root)`. The knowledge they apply lives in core.app_source.facts."""
