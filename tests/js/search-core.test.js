/* Unit tests of static/search-core.js's query side, run by `make test` (`node --test`):
 * how a typed query becomes words, shard keys and the index terms each word stands for,
 * and the edit distance that tolerates typos. The whole search is tested against the
 * built index elsewhere (tests/js/search_check.js); these pin each piece down alone. */
"use strict"

const test = require("node:test")
const assert = require("node:assert/strict")
const core = require("../../static/search-core.js")

test("edit distance: within the limit, over it, a swap of neighbours one edit, and stopped early", () => {
  assert.equal(core.withinDistance("quantiz", "quantiz", 0), true)
  assert.equal(core.withinDistance("abc", "abd", 1), true)
  assert.equal(core.withinDistance("abc", "abd", 0), false)
  assert.equal(core.withinDistance("kitten", "sitting", 3), true)
  assert.equal(core.withinDistance("kitten", "sitting", 2), false)
  assert.equal(core.withinDistance("transform", "trnasform", 1), true) // a swap is one edit
  assert.equal(core.withinDistance("transform", "trnasform", 0), false)
  assert.equal(core.distance("ab", "ba", 2), 1)
  assert.equal(core.distance("abcd", "badc", 2), 2)
  assert.equal(core.distance("abcd", "dcba", 2), 3) // past the limit: limit + 1
  assert.equal(core.distance("rtansformer", "transformer", 2), 1)
  assert.equal(core.withinDistance("a", "abcd", 2), false) // lengths alone rule it out
  assert.equal(core.withinDistance("", "ab", 2), true)
  assert.equal(core.withinDistance("naïve", "naive", 1), true) // characters, not UTF-16 units
  assert.equal(core.withinDistance("𝔸b", "𝔹b", 1), true)
})

test("a word is folded and trimmed as the index's words are", () => {
  assert.equal(core.normalizeWord("Café!"), "Cafe")
  assert.equal(core.normalizeWord("(BERT),"), "BERT")
  assert.equal(core.normalizeWord("Q-VLM"), "Q-VLM")
  assert.equal(core.normalizeWord("—"), "")
})

test("a query's words are lower-cased, stemmed and given once each", () => {
  assert.deepEqual(core.analyze("Transformers, transformers and (Transformer)"), [
    { word: "transformers", term: "transform" },
    { word: "and", term: "and" },
    { word: "transformer", term: "transform" },
  ])
  assert.deepEqual(core.analyze("O(n*d)"), [{ word: "o(n\u2217d", term: "o(n\u2217d" }]) // a star is a character
  assert.deepEqual(core.analyze("  … "), [])
})

test("a term lives in the shard of the longest key that starts it", () => {
  const keys = { tr: 1, tra: 1, tran: 1, q: 1 }
  assert.equal(core.shardKey("transform", keys), "tran")
  assert.equal(core.shardKey("trust", keys), "tr")
  assert.equal(core.shardKey("qvlm", keys), "q")
  assert.equal(core.shardKey("zebra", keys), null)
  assert.deepEqual(core.keysFor("Transformers trust zebras", keys), ["tr", "tran"])
})

/* plan(), its objects made plain (search-core keys them in prototype-less objects). */
function planned(query, terms, keys) {
  return JSON.parse(JSON.stringify(core.plan(query, terms, keys)))
}

/* A shard's terms, for plan(): every term of the vocabulary under its key. */
function vocabulary(terms, keys) {
  return (key) => terms.filter((term) => core.shardKey(term, keys) === key)
}

test("a word stands for its stem, its completions and, if long, terms an edit or two away", () => {
  const keys = { tr: 1 }
  const terms = vocabulary(["transform", "transformx", "transformerxl", "transit", "trout"], keys)
  assert.deepEqual(planned("transformer", terms, keys), [
    { tr: [["transform", 10, 1], ["transformerxl", 2, 0], ["transformx", 1, 0]] },
  ])
  // Nothing typed exactly: the typos' neighbours alone (9 letters or more: two edits).
  assert.deepEqual(planned("trnasform", terms, keys), [{ tr: [["transform", 1, 0], ["transformx", 1, 0]] }])
})

test("short words get no typo neighbours; a word that is a whole term counts as exact and as typed", () => {
  const keys = { mo: 1 }
  const terms = vocabulary(["moe", "mob", "moer"], keys)
  assert.deepEqual(planned("MoE", terms, keys), [{ mo: [["moe", 12, 1], ["moer", 2, 0]] }])
  // Five to eight letters: one edit.
  const long = vocabulary(["model", "modal", "modals", "mod"], keys)
  assert.deepEqual(planned("modek", long, keys), [{ mo: [["model", 1, 0]] }]) // not "modal", two edits away
})

test("completions are the shortest 40, and a query keeps its first 12 words", () => {
  const keys = { ab: 1 }
  const many = Array.from({ length: 60 }, (_, i) => "ab" + "c".repeat(i))
  const completions = planned("ab", vocabulary(many, keys), keys)[0].ab
  assert.equal(completions.length, 40)
  assert.deepEqual(completions.map((pair) => pair[0]).sort((a, b) => a.length - b.length).slice(-1), ["ab" + "c".repeat(39)])
  const words = "ab ".repeat(3) + "one two three four five six seven eight nine ten eleven twelve thirteen"
  assert.equal(core.plan(words, () => [], {}).length, 12)
})

/* A whole index as the build serializes one, from documents of pre-analysed words. */
function indexOf(documents) {
  const lunr = require("lunr")
  const index = lunr(function () {
    this.pipeline.reset()
    this.searchPipeline.reset()
    this.ref("ref")
    this.field("title", { boost: 10 })
    this.field("abstract")
    documents.forEach((doc, ref) => this.add({ ref: String(ref), ...doc }))
  })
  return JSON.parse(JSON.stringify(index))
}

test("a paper with the word typed comes before papers with only a word an edit away or a completion", () => {
  const search = core.wholeIndex(
    indexOf([
      { title: "transport networks", abstract: "a transport model" }, // transport: two edits from transform
      { title: "optimal transfer", abstract: "we transform" }, // the stem, in the abstract only
      { title: "transformersxl", abstract: "long memory" }, // a completion of what was typed
    ]),
    { tr: 1, we: 1, op: 1, a: 1, lo: 1, me: 1, ne: 1, mo: 1 }
  )
  const ranked = search("transformers")
  assert.deepEqual(
    ranked.map((r) => [r.ref, r.exact]),
    [
      [1, 2], // one word held with its stem (its form unknown: no shards given)
      [2, 0],
      [0, 0],
    ]
  )
  assert.ok(ranked[1].score > ranked[0].score) // the title's completion would have won on score
})

test("quoted words are marked, and each quoted part of two words or more is a phrase", () => {
  assert.deepEqual(core.queryWords('“knowledge distillation” for "LLMs'), [
    { word: "knowledge", term: "knowledg", quoted: true },
    { word: "distillation", term: "distil", quoted: true },
    { word: "for", term: "for", quoted: false },
    { word: "llms", term: "llm", quoted: true }, // an unclosed quote runs to the end
  ])
  assert.deepEqual(core.queryWords('Nystr\\"{o}m "said".'), [
    { word: 'nystr\\"{o}m', term: 'nystr\\"{o}m', quoted: false }, // a quote mark inside a word is the word's
    { word: "said", term: "said", quoted: true },
  ])
  assert.deepEqual(core.phrases('"knowledge distillation" for "LLMs" "the the"'), [
    ["knowledg", "distil"],
    ["the", "the"],
  ])
  const source = sourceOf({ kn: ["knowledg", "knowledge"], di: ["distil", "distill"] })
  const planned = core.plan('"knowledge"', (key) => source.shard(key).terms, source.keys)
  assert.deepEqual(JSON.parse(JSON.stringify(planned)), [{ kn: [["knowledg", 10, 1]] }]) // no completion, no typo
  assert.deepEqual(core.positionKeysFor('"knowledge distillation" models', { kn: 1, di: 1, mo: 1 }), ["di", "kn"])
})

/* A split index of two papers (refs 0 and 1), shards and positions as the build writes them. */
function twoPapers(terms, positions) {
  const shards = {}
  const files = {}
  for (const entry of terms) (shards[entry[0].slice(0, 2)] ??= { fields: ["title", "abstract"], terms: [] }).terms.push(entry)
  for (const entry of positions) (files[entry[0].slice(0, 2)] ??= { terms: [] }).terms.push(entry)
  const loaded = Object.fromEntries(Object.entries(shards).map(([key, data]) => [key, core.loadShard(data)]))
  const placed = Object.fromEntries(Object.entries(files).map(([key, data]) => [key, core.loadPositions(data)]))
  return { keys: Object.fromEntries(Object.keys(shards).map((key) => [key, 1])), count: 2, shard: (key) => loaded[key] || null, positions: (key) => placed[key] || null }
}

test("a paper with the very word typed comes before one with only another word of its stem", () => {
  // Paper 0 says `recent` (and weighs more), paper 1 `recenters`: the term's most used form
  // first with the papers lacking it, then the others with the papers having them.
  const source = twoPapers([["recent", 0, [[1, [0, 1], [900, 500]]], [["recent", [1]], ["recenters", [1]]]]], [])
  assert.deepEqual(core.find("recenters", source).top(2).map((r) => r.ref), [1, 0])
  assert.deepEqual(core.find("recent", source).top(2).map((r) => r.ref), [0, 1])
  assert.deepEqual(core.find("recently", source).top(2).map((r) => r.ref), [0, 1]) // neither: by score
  // A term written in one form only, other than itself, and a term that is its only form.
  const single = twoPapers([["readabl", 0, [[1, [0, 1], [500, 900]]], "readable"], ["read", 1, [[1, [0], [100]]]]], [])
  assert.equal(core.find("readable", single).top(2)[0].ref, 1)
  assert.ok(core.find("readable", single).top(2).every((r) => r.exact === core.find("readable", single).top(1)[0].exact))
})

test("a quoted phrase matches its words next to each other, in order, in one field", () => {
  // Both papers have both words in the abstract; only paper 0 has them side by side.
  const source = twoPapers(
    [
      ["knowledg", 0, [[1, [0, 1], [500, 500]]]],
      ["distil", 1, [[1, [0, 1], [500, 500]]]],
    ],
    [
      ["knowledg", [[1, [3, [7, 5]]]]], // paper 0 at 3, paper 1 at 7 and 12
      ["distil", [[1, [4, 2]]]],
    ]
  )
  assert.deepEqual(Array.from(core.find("knowledge distillation", source).refs), [0, 1])
  assert.deepEqual(Array.from(core.find('"knowledge distillation"', source).refs), [0])
  assert.deepEqual(Array.from(core.find('"distillation knowledge"', source).refs), []) // order counts
  assert.equal(core.fewerWords('"distillation knowledge"', source), "distillation knowledge") // offered unquoted
})

/* A source of shards made of term lists, as the page holds them once loaded. */
function sourceOf(termsByKey) {
  return {
    keys: Object.fromEntries(Object.keys(termsByKey).map((key) => [key, 1])),
    count: 0,
    shard: (key) => (termsByKey[key] ? { terms: termsByKey[key] } : null),
  }
}

/* The positions of a query's words that match nothing in the source's shards. */
function missingIn(query, source) {
  return core.unmatchedWords(query, core.plan(query, (key) => (source.shard(key) || { terms: [] }).terms, source.keys))
}

test("a word that matches nothing is respelled with the closest term of the catalog, in any shard", () => {
  const source = sourceOf({ tr: ["transform"], qu: ["quantiz"], fa: ["factifi"], rt: ["rtl"] })
  const lists = { 9: [["transform", 30], ["transfirm", 2]], 7: [["quantiz", 9], ["factifi", 1]] }
  const ofLength = (n) => lists[n]
  assert.deepEqual(missingIn("rtansformer quantization fcatify", source), [0, 2])
  // About the stem's length (9 ± 2), and shorter for a typo in what the stem drops.
  assert.deepEqual(core.correctionLengths("rtansformer quantization", 0), [4, 5, 6, 7, 8, 9, 10, 11, 12, 13])
  const word = (text) => core.analyze(text)[0]
  assert.equal(core.closestTerm(word("rtansformer"), ofLength), "transform") // one edit, and the most used
  assert.equal(core.closestTerm(word("quantizaton"), ofLength), "quantiz") // the stem's start, a typo in "ation"
  assert.equal(core.corrected("quantizaton", missingIn("quantizaton", source), ofLength), "quantiz")
  assert.equal(core.corrected("rtansformer quantization fcatify", missingIn("rtansformer quantization fcatify", source), ofLength), "transformer quantization factify")
  assert.equal(core.corrected("quantization", missingIn("quantization", source), ofLength), null) // nothing to correct
  assert.equal(core.corrected("zzzzzzzz", missingIn("zzzzzzzz", sourceOf({})), ofLength), null) // nothing close enough
  assert.equal(core.closestTerm(word("moe"), ofLength), null) // too short to correct
})

test("terms ruled out by their letters alone are those no comparison brings within the limit", () => {
  const word = (text) => core.analyze(text)[0]
  // Two letters the word lacks: two edits, within the limit of a nine-letter word.
  const lists = { 9: [["quantizzz", 1]], 10: [["aaaaaaaaaa", 5]] }
  assert.equal(core.closestTerm(word("quantizat"), (n) => lists[n]), "quantizzz")
  // A repeated letter counts as often as it repeats: one "a" more is one edit.
  lists[9].push(["aaaaaaaaa", 1])
  assert.equal(core.closestTerm(word("aaaaaaaa"), (n) => lists[n]), "aaaaaaaaa")
  assert.equal(core.closestTerm(word("aaaaaabb"), (n) => lists[n]), null) // two edits, over the limit of 1
  // A character of two UTF-16 units is one edit, as the distance counts it.
  const astral = { 9: [["quantiz\u{1d431}\u{1d431}", 1]] }
  assert.equal(core.closestTerm(word("quantizat"), (n) => astral[n]), "quantiz\u{1d431}\u{1d431}")
})

test("a respelled stem is shown as the results spell it most often", () => {
  const texts = ["Quantization of models", "post-training quantization", "quantized weights"]
  assert.equal(core.spelledOut("transformer quantiz", texts), "transformer quantization")
  assert.equal(core.spelledOut("transformer quantiz", []), "transformer quantiz") // nothing to go by
})
