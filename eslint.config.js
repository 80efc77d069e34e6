// The JavaScript linter `make test` runs (eslint, pinned in package-lock.json).
"use strict"
const js = require("@eslint/js")
const globals = require("globals")

module.exports = [
  { ignores: [".venv/", "site/", ".site-*/", ".cache/", "test-output/"] },
  js.configs.recommended,
  {
    // The browser's code: plain scripts; search-core.js is also a CommonJS module for Node.
    files: ["static/**/*.js"],
    languageOptions: { sourceType: "script", globals: { ...globals.browser, module: "readonly", require: "readonly" } },
  },
  {
    files: ["tests/js/**/*.js", "eslint.config.js"],
    languageOptions: { sourceType: "commonjs", globals: globals.node },
  },
]
