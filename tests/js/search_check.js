/*
 * Runs the browser's search code (static/search-core.js with lunr.js from node_modules)
 * under Node.js against a built site's sharded index.
 *
 *   node search_check.js vocabulary SITE WORDS.json   every word must find each of its papers
 *   node search_check.js compare SITE UNSPLIT.json QUERIES.json   split and unsplit agree:
 *     every result, and the first 1, 10 and 25 asked for on their own
 *   node search_check.js whole SITE UNSPLIT.json QUERY   the unsplit index's refs for QUERY
 *   node search_check.js results SITE QUERIES.json   each query's every result, best first,
 *     as [ref, exact] (see search-core's `better`)
 *   node search_check.js rank SITE QUERIES.json   each query's result count and first 10 refs,
 *     after the page's corrections: a word that matches nothing respelled, else for no
 *     result at all, the query less one word (what the page offers)
 *
 * Prints one JSON object with the findings.
 */
"use strict"
const fs = require("fs")
const path = require("path")
const zlib = require("zlib")
const core = require(path.join(__dirname, "..", "..", "static", "search-core.js"))

function loadSite(site) {
  const search = path.join(site, "search")
  const manifestFile = fs.readdirSync(search).find((name) => name.startsWith("manifest."))
  const manifest = JSON.parse(fs.readFileSync(path.join(search, manifestFile), "utf8"))
  // Files of the index by key, each read and loaded the first time it is asked for.
  function loader(files, make) {
    const loaded = Object.create(null)
    return (key) => {
      if (!(key in files)) return null
      if (!loaded[key]) loaded[key] = make(JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(site, files[key]))).toString("utf8")))
      return loaded[key]
    }
  }
  const files = (kind) => Object.fromEntries(Object.entries(manifest.shards).map(([key, digest]) => [key, core.indexFile(kind, key, digest)]))
  const shard = loader(files("t"), core.loadShard)
  const positions = loader(files("x"), core.loadPositions)
  const terms = loader(manifest.termsByLength, (list) => list)
  const termsOfLength = (length) => terms(length) || []
  return { manifest, source: { keys: manifest.shards, count: manifest.count, shard, positions }, termsOfLength }
}

const [mode, site, a, b] = process.argv.slice(2)
const { manifest, source, termsOfLength } = loadSite(site)
const pairs = (results) => results.map((r) => [r.ref, r.score])

if (mode === "vocabulary") {
  const words = JSON.parse(fs.readFileSync(a, "utf8")) // {word: [refs]}
  const failures = []
  let checked = 0
  for (const [word, refs] of Object.entries(words)) {
    const found = new Set(core.find(word, source).refs)
    const missing = refs.filter((ref) => !found.has(ref))
    checked += refs.length
    if (missing.length) failures.push({ word, missing: missing.slice(0, 5) })
  }
  console.log(JSON.stringify({ words: Object.keys(words).length, pairs: checked, failures: failures.slice(0, 50), failed: failures.length }))
} else if (mode === "compare") {
  const whole = core.wholeIndex(JSON.parse(fs.readFileSync(a, "utf8")), manifest.shards, source)
  const queries = JSON.parse(fs.readFileSync(b, "utf8"))
  const differences = []
  let pruned = 0 // queries whose first page lunr.js scored only some results for
  for (const query of queries) {
    const unsplit = pairs(whole(query))
    const found = core.find(query, source)
    const pages = [1, 10, 25].map((count) => pairs(core.find(query, source).top(count)))
    const split = pairs(found.top(found.count))
    if (found.count !== unsplit.length || JSON.stringify(split) !== JSON.stringify(unsplit)) {
      differences.push({ query, split: split.slice(0, 3), unsplit: unsplit.slice(0, 3) })
    }
    pages.forEach((page) => {
      if (JSON.stringify(page) !== JSON.stringify(unsplit.slice(0, page.length))) differences.push({ query, page: page.slice(0, 3), unsplit: unsplit.slice(0, 3) })
    })
    const first = core.find(query, source)
    first.top(10)
    if (first.scored < first.count) pruned++
  }
  console.log(JSON.stringify({ queries: queries.length, differences, pruned }))
} else if (mode === "whole") {
  const whole = core.wholeIndex(JSON.parse(fs.readFileSync(a, "utf8")), manifest.shards, source)
  console.log(JSON.stringify({ refs: whole(b).map((r) => r.ref) }))
} else if (mode === "results") {
  const results = {}
  for (const query of JSON.parse(fs.readFileSync(a, "utf8"))) {
    const found = core.find(query, source)
    results[query] = found.top(found.count).map((r) => [r.ref, r.exact])
  }
  console.log(JSON.stringify(results))
} else if (mode === "rank") {
  const ranked = {}
  for (const query of JSON.parse(fs.readFileSync(a, "utf8"))) {
    const respelled = core.corrected(query, core.unmatchedWords(query, core.find(query, source).words), termsOfLength)
    let searched = respelled || query
    if (!core.find(searched, source).count) searched = core.fewerWords(searched, source) || searched
    const found = core.find(searched, source)
    ranked[query] = { count: found.count, top: found.top(10).map((r) => r.ref), searched }
  }
  console.log(JSON.stringify(ranked))
} else {
  console.error("usage: search_check.js vocabulary|compare|whole|results|rank SITE …")
  process.exit(2)
}
