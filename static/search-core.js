/*
 * Papershelf search core: turns what a person types into lunr.js queries over the sharded
 * index. No DOM here, so Node.js runs the very same code in the tests.
 *
 * Words are analyzed exactly as papershelf/search_index.py indexes them: lunr's tokenizer
 * (whitespace and hyphens), accents folded, non-letters trimmed from both ends, Porter stem.
 * Each word becomes one query against the shard of its first characters, with
 * expansions chosen here (the exact stem, completions of what is typed, near misses), so the
 * split index and an unsplit one give the same scores. A result must match every word.
 */
(function (root, factory) {
  if (typeof module === "object" && module.exports) {
    module.exports = factory(require("lunr"))
  } else {
    root.PapershelfSearch = factory(root.lunr)
  }
})(typeof self !== "undefined" ? self : this, function (lunr) {
  "use strict"

  var MAX_WORDS = 12
  var MAX_COMPLETIONS = 40
  var BOOST_EXACT = 10
  var BOOST_PREFIX = 2
  var BOOST_FUZZY = 1
  var LETTER_OR_DIGIT = /[\p{L}\p{N}]/u
  var MARK = /\p{M}/gu

  function chars(text) {
    return Array.from(text)
  }

  /* Fold accents, then trim everything but letters and digits from both ends. */
  function normalizeWord(word) {
    var folded = chars(word.normalize("NFKD").replace(MARK, ""))
    var start = 0
    var end = folded.length
    while (start < end && !LETTER_OR_DIGIT.test(folded[start])) start++
    while (end > start && !LETTER_OR_DIGIT.test(folded[end - 1])) end--
    return folded.slice(start, end).join("")
  }

  function stem(word) {
    return lunr.stemmer(new lunr.Token(word)).toString()
  }

  /* The words of a text as the index knows them: [{word, term}], in order, deduplicated. */
  function analyze(text) {
    var seen = Object.create(null)
    var words = []
    lunr.tokenizer(String(text)).forEach(function (token) {
      var word = normalizeWord(token.toString())
      if (!word) return
      var term = stem(word)
      if (seen[term + " " + word]) return
      seen[term + " " + word] = true
      words.push({ word: word, term: term })
    })
    return words
  }

  /*
   * The shard a term lives in: the longest shard key that starts it. Shards are split by
   * the first two characters, and big ones again by longer prefixes, so `keys` (the
   * manifest's shard keys) decides; null when no shard can hold the term.
   */
  function shardKey(term, keys) {
    var letters = chars(term)
    for (var length = letters.length; length > 0; length--) {
      var key = letters.slice(0, length).join("")
      if (Object.prototype.hasOwnProperty.call(keys, key)) return key
    }
    return null
  }

  /* Edit distance, stopping early once it exceeds `limit`. */
  function withinDistance(a, b, limit) {
    a = chars(a)
    b = chars(b)
    if (Math.abs(a.length - b.length) > limit) return false
    var previous = []
    for (var j = 0; j <= b.length; j++) previous.push(j)
    for (var i = 1; i <= a.length; i++) {
      var current = [i]
      var rowMin = i
      for (var k = 1; k <= b.length; k++) {
        var cost = a[i - 1] === b[k - 1] ? 0 : 1
        var value = Math.min(previous[k] + 1, current[k - 1] + 1, previous[k - 1] + cost)
        current.push(value)
        if (value < rowMin) rowMin = value
      }
      if (rowMin > limit) return false
      previous = current
    }
    return previous[b.length] <= limit
  }

  /*
   * The index terms one typed word stands for, with their boosts, grouped by shard key:
   * the exact stem; terms that start with the word as typed (prefix search while typing);
   * and for longer words, terms within one or two edits of the stem (typos). Expansions stay
   * within one shard each, so every word costs at most two shard downloads.
   */
  function expansions(entry, terms, keys) {
    var boosts = Object.create(null)
    function add(term, boost) {
      boosts[term] = (boosts[term] || 0) + boost
    }
    var termKey = shardKey(entry.term, keys)
    var list = terms(termKey)
    if (list.indexOf(entry.term) !== -1) add(entry.term, BOOST_EXACT)
    var length = chars(entry.term).length
    if (length >= 5) {
      var limit = length >= 9 ? 2 : 1
      list.forEach(function (term) {
        if (term !== entry.term && withinDistance(entry.term, term, limit)) add(term, BOOST_FUZZY)
      })
    }
    if (chars(entry.word).length >= 2) {
      var completions = terms(shardKey(entry.word, keys)).filter(function (term) {
        return term.lastIndexOf(entry.word, 0) === 0
      })
      completions.sort(function (a, b) {
        return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0)
      })
      completions.slice(0, MAX_COMPLETIONS).forEach(function (term) {
        add(term, BOOST_PREFIX)
      })
    }
    var byKey = Object.create(null)
    Object.keys(boosts)
      .sort()
      .forEach(function (term) {
        var key = shardKey(term, keys)
        ;(byKey[key] = byKey[key] || []).push([term, boosts[term]])
      })
    return byKey
  }

  /* The shard keys a query needs before it can run. */
  function keysFor(query, keys) {
    var needed = Object.create(null)
    analyze(query)
      .slice(0, MAX_WORDS)
      .forEach(function (entry) {
        var termKey = shardKey(entry.term, keys)
        if (termKey !== null) needed[termKey] = true
        var wordKey = chars(entry.word).length >= 2 ? shardKey(entry.word, keys) : null
        if (wordKey !== null) needed[wordKey] = true
      })
    return Object.keys(needed).sort()
  }

  /*
   * Run a query. `shardFor(key)` gives {index: lunr.Index, terms: [sorted terms]} for a
   * loaded shard key, or null where the index has no such terms. Returns
   * [{ref, score, terms: [matched index terms]}], best first.
   */
  function search(query, shardFor, keys) {
    var words = analyze(query).slice(0, MAX_WORDS)
    if (!words.length) return []
    function terms(key) {
      var shard = key === null ? null : shardFor(key)
      return shard ? shard.terms : []
    }
    var combined = null
    for (var w = 0; w < words.length; w++) {
      var groups = expansions(words[w], terms, keys)
      var found = new Map()
      Object.keys(groups).forEach(function (key) {
        var results = shardFor(key).index.query(function (q) {
          groups[key].forEach(function (pair) {
            q.term(pair[0], { usePipeline: false, boost: pair[1] })
          })
        })
        for (var r = 0; r < results.length; r++) {
          var result = results[r]
          var hit = found.get(result.ref)
          if (hit === undefined) found.set(result.ref, (hit = new Result(Number(result.ref))))
          hit.score += result.score
          hit.matches.push(result.matchData)
        }
      })
      if (combined === null) {
        combined = found
      } else {
        var next = new Map()
        combined.forEach(function (hit, ref) {
          var other = found.get(ref)
          if (other !== undefined) {
            hit.score += other.score
            hit.matches = hit.matches.concat(other.matches)
            next.set(ref, hit)
          }
        })
        combined = next
      }
    }
    return Array.from(combined.values()).sort(function (a, b) {
      return b.score - a.score || a.ref - b.ref
    })
  }

  /*
   * One result: its ref, its score and, worked out only when asked (a common word can match
   * most of the catalog, and only the results shown are highlighted), the index terms it
   * matched.
   */
  function Result(ref) {
    this.ref = ref
    this.score = 0
    this.matches = []
  }
  Object.defineProperty(Result.prototype, "terms", {
    get: function () {
      var terms = []
      this.matches.forEach(function (matchData) {
        Object.keys(matchData.metadata).forEach(function (term) {
          if (terms.indexOf(term) === -1) terms.push(term)
        })
      })
      return terms
    },
  })

  /* A lunr.js index rebuilt from one shard file of the build. */
  function loadShard(data) {
    var fields = data.fields
    var invertedIndex = Object.create(null)
    var vectors = Object.create(null)
    var terms = []
    data.terms.forEach(function (entry) {
      var term = entry[0]
      var posting = { _index: entry[1] }
      fields.forEach(function (name) {
        posting[name] = Object.create(null)
      })
      entry[2].forEach(function (fieldPostings) {
        var name = fields[fieldPostings[0]]
        var gaps = fieldPostings[1]
        var thousandths = fieldPostings[2]
        var ref = 0
        for (var i = 0; i < gaps.length; i++) {
          ref += gaps[i] // refs come as gaps from the previous one
          posting[name][ref] = {}
          var fieldRef = name + "/" + ref
          ;(vectors[fieldRef] = vectors[fieldRef] || new lunr.Vector()).insert(entry[1], thousandths[i] / 1000)
        }
      })
      invertedIndex[term] = posting
      terms.push(term)
    })
    terms.sort()
    var index = new lunr.Index({
      invertedIndex: invertedIndex,
      fieldVectors: vectors,
      tokenSet: lunr.TokenSet.fromArray(terms),
      fields: fields,
      pipeline: new lunr.Pipeline(),
    })
    return { index: index, terms: terms }
  }

  /*
   * A shardFor() over one lunr.js index loaded whole: each key sees the same terms its shard
   * would, so the unsplit index can be compared with the split one query by query.
   */
  function wholeIndex(serialized, keys) {
    var index = lunr.Index.load(serialized)
    var byKey = Object.create(null)
    Object.keys(index.invertedIndex)
      .sort()
      .forEach(function (term) {
        var key = shardKey(term, keys)
        ;(byKey[key] = byKey[key] || []).push(term)
      })
    return function (key) {
      return byKey[key] ? { index: index, terms: byKey[key] } : null
    }
  }

  return {
    analyze: analyze,
    normalizeWord: normalizeWord,
    shardKey: shardKey,
    keysFor: keysFor,
    search: search,
    loadShard: loadShard,
    wholeIndex: wholeIndex,
  }
})
