/*
 * Papershelf search core: turns what a person types into lunr.js queries over the sharded
 * index. No DOM here, so Node.js runs the very same code in the tests.
 *
 * Words are analyzed exactly as papershelf/analysis.py indexes them: lunr's tokenizer
 * (whitespace and hyphens), accents folded, non-letters trimmed from both ends, Porter stem.
 * Each word becomes one query against the shard of its first characters, with
 * expansions chosen here (the exact stem, completions of what is typed, near misses), so the
 * split index and an unsplit one give the same scores. A result must match every word.
 * lunr.js scores the results shown; the postings tell which documents can be among them
 * (see find), so a word found in most of a large catalog is not scored everywhere.
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

  /* lunr reads `*` in a query term as "any letters": inside a word (O(n*d)) it is a
   * character, so terms hold U+2217 (asterisk operator) instead, as the index does. */
  function literalStars(text) {
    return text.replace(/\*/g, "\u2217")
  }

  /* The words of a text as the index knows them: [{word, term}], in order, deduplicated. */
  function analyze(text) {
    var seen = Object.create(null)
    return tokens(text).filter(function (entry) {
      var key = entry.term + " " + entry.word
      if (seen[key]) return false
      return (seen[key] = true)
    })
  }

  /* Every word of a text as the index knows it, [{word, term}], in order, repeats kept. */
  function tokens(text) {
    var words = []
    lunr.tokenizer(String(text)).forEach(function (token) {
      var normalized = normalizeWord(token.toString())
      if (normalized) words.push({ word: literalStars(normalized), term: literalStars(stem(normalized)) })
    })
    return words
  }

  var QUOTES = /["\u201c\u201d\u201e]/

  /* A query in parts, [{text, quoted}]: what stands between quotes is quoted (straight or
   * curly, as phones type them; an unclosed quote runs to the end). A quote mark inside a
   * word (`Nystr\"{o}m`, letters on both sides) is part of the word. */
  function quoteParts(query) {
    var parts = [{ text: "", quoted: false }]
    String(query)
      .split(/(\s+)/)
      .forEach(function (chunk) {
        var letters = chars(chunk)
        letters.forEach(function (letter, i) {
          var edge = !letters.slice(0, i).some(isLetterOrDigit) || !letters.slice(i + 1).some(isLetterOrDigit)
          if (edge && QUOTES.test(letter)) parts.push({ text: "", quoted: !parts[parts.length - 1].quoted })
          else parts[parts.length - 1].text += letter
        })
      })
    return parts
  }

  function isLetterOrDigit(letter) {
    return LETTER_OR_DIGIT.test(letter)
  }

  /* The query with its quote marks taken out. */
  function unquoted(query) {
    return quoteParts(query)
      .map(function (part) {
        return part.text
      })
      .join(" ")
      .replace(/\s+/g, " ")
      .trim()
  }

  /* The words of a query as `analyze` gives them, each marked `quoted` when it stands in
   * quotes (then it matches its own stem only: no completion, no typo), deduplicated. */
  function queryWords(query) {
    var seen = Object.create(null)
    var words = []
    quoteParts(query).forEach(function (part) {
      analyze(part.text).forEach(function (entry) {
        var key = (part.quoted ? "q " : "") + entry.term + " " + entry.word
        if (seen[key]) return
        seen[key] = true
        words.push({ word: entry.word, term: entry.term, quoted: part.quoted })
      })
    })
    return words.slice(0, MAX_WORDS)
  }

  /* The query's phrases: the terms of each quoted part of two words or more, in order. */
  function phrases(query) {
    var found = []
    quoteParts(query).forEach(function (part) {
      var terms = tokens(part.text).map(function (entry) {
        return entry.term
      })
      if (part.quoted && terms.length > 1) found.push(terms)
    })
    return found
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

  /* The file of a shard key's shard (`kind` "t") or its terms' positions ("x"), named by the
   * digest the manifest gives the key (papershelf/search/documents.py names them). */
  function indexFile(kind, key, digest) {
    var hex = Array.from(new TextEncoder().encode(key), function (byte) {
      return (byte < 16 ? "0" : "") + byte.toString(16)
    })
    return "search/" + kind + "/" + hex.join("") + "." + digest + ".json.gz"
  }

  /* Edit distance, a swap of neighbours counting as one edit (`rtansformer`), or
   * `limit` + 1 as soon as it must exceed `limit`. */
  function distance(a, b, limit) {
    return charDistance(chars(a), chars(b), limit)
  }

  /* `distance` of two words given as arrays of characters: a correction compares a word
   * with a hundred thousand terms, each split once. Three rows, reused: the one before the
   * previous (for swaps), the previous and the current. */
  function charDistance(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit) return limit + 1
    var width = b.length + 1
    var before = new Int32Array(width)
    var previous = new Int32Array(width)
    var current = new Int32Array(width)
    var previousMin = 0
    for (var j = 0; j < width; j++) previous[j] = j
    for (var i = 1; i <= a.length; i++) {
      current[0] = i
      var rowMin = i
      for (var k = 1; k <= b.length; k++) {
        var cost = a[i - 1] === b[k - 1] ? 0 : 1
        var value = Math.min(previous[k] + 1, current[k - 1] + 1, previous[k - 1] + cost)
        if (i > 1 && k > 1 && a[i - 1] === b[k - 2] && a[i - 2] === b[k - 1]) value = Math.min(value, before[k - 2] + 1)
        current[k] = value
        if (value < rowMin) rowMin = value
      }
      // A cell is reached from this row or, by a swap, the one before: past the limit in
      // both, the distance is too.
      if (rowMin > limit && previousMin > limit) return limit + 1
      var spare = before
      before = previous
      previous = current
      current = spare
      previousMin = rowMin
    }
    return Math.min(previous[b.length], limit + 1)
  }

  function withinDistance(a, b, limit) {
    return distance(a, b, limit) <= limit
  }

  /* The edits a word of this many characters may hold: none below five, two from nine. */
  function typoLimit(length) {
    return length >= 9 ? 2 : length >= 5 ? 1 : 0
  }

  /*
   * The index terms one typed word stands for, grouped by shard key, each as [term, boost,
   * exact]: the exact stem (exact 1); terms that start with the word as typed (prefix search
   * while typing); and for longer words, terms within one or two edits of the stem (typos).
   * Expansions stay within one shard each, so every word costs at most two shard downloads.
   */
  function expansions(entry, terms, keys) {
    var boosts = Object.create(null)
    function add(term, boost) {
      boosts[term] = (boosts[term] || 0) + boost
    }
    var termKey = shardKey(entry.term, keys)
    var list = terms(termKey)
    if (list.indexOf(entry.term) !== -1) add(entry.term, BOOST_EXACT)
    var limit = entry.quoted ? 0 : typoLimit(chars(entry.term).length)
    if (limit) {
      list.forEach(function (term) {
        if (term !== entry.term && withinDistance(entry.term, term, limit)) add(term, BOOST_FUZZY)
      })
    }
    if (!entry.quoted && chars(entry.word).length >= 2) {
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
        ;(byKey[key] = byKey[key] || []).push([term, boosts[term], term === entry.term ? 1 : 0])
      })
    return byKey
  }

  /* The shard keys a query needs before it can run. */
  function keysFor(query, keys) {
    var needed = Object.create(null)
    queryWords(query).forEach(function (entry) {
      var termKey = shardKey(entry.term, keys)
      if (termKey !== null) needed[termKey] = true
      var wordKey = !entry.quoted && chars(entry.word).length >= 2 ? shardKey(entry.word, keys) : null
      if (wordKey !== null) needed[wordKey] = true
    })
    return Object.keys(needed).sort()
  }

  /* The keys of the positions a query needs besides its shards: its phrases' terms'. */
  function positionKeysFor(query, keys) {
    var needed = Object.create(null)
    phrases(query).forEach(function (terms) {
      terms.forEach(function (term) {
        var key = shardKey(term, keys)
        if (key !== null) needed[key] = true
      })
    })
    return Object.keys(needed).sort()
  }

  /* A query's words, each as the index terms it stands for: [{key: [[term, boost, exact], …]}]. */
  function plan(query, terms, keys) {
    return queryWords(query).map(function (entry) {
      return expansions(entry, terms, keys)
    })
  }

  /* A source's terms of one shard (none for a shard it lacks or has not loaded). */
  function shardTerms(source) {
    return function (key) {
      var shard = key === null ? null : source.shard(key)
      return shard ? shard.terms : []
    }
  }

  /* The words of a query (by position among its first MAX_WORDS) that match nothing in
   * their shards, not even an edit away, and are long enough to correct; `planned` is the
   * query's plan (a search's `words`). */
  function unmatchedWords(query, planned) {
    var found = []
    queryWords(query).forEach(function (entry, i) {
      if (!Object.keys(planned[i]).length && typoLimit(chars(entry.term).length)) found.push(i)
    })
    return found
  }

  /* A stem drops at most this many characters of its word (`quantization` → `quantiz`). */
  var MAX_SUFFIX = 5

  /* The term lengths a correction of a word may have: about its stem's length, or shorter,
   * when the typo is in the part its stem would drop. */
  function lengthRange(entry) {
    var word = chars(entry.word).length
    var limit = typoLimit(chars(entry.term).length)
    return [Math.max(1, Math.min(chars(entry.term).length, word - MAX_SUFFIX) - limit), Math.max(word, chars(entry.term).length) + limit]
  }

  /* The term lengths a correction of the query's word at `position` may have. */
  function correctionLengths(query, position) {
    var range = lengthRange(queryWords(query)[position])
    var lengths = []
    for (var length = range[0]; length <= range[1]; length++) lengths.push(length)
    return lengths
  }

  /* The edits between a typed word and a term: between its stem and the term, or between
   * the term and the start of the word, the rest being what a stem drops (`quantizaton`
   * is `quantiz` and a typo in `ation`). `typed` is the word's `typedChars`; `term` is split
   * in characters. */
  function editsTo(typed, term, limit) {
    var edits = charDistance(typed.stem, term, limit)
    var length = term.length
    for (var cut = Math.max(1, length - limit); cut <= Math.min(typed.word.length, length + limit) && edits > 0; cut++) {
      if (typed.word.length - cut <= MAX_SUFFIX) edits = Math.min(edits, charDistance(typed.prefixes[cut], term, limit))
    }
    return edits
  }

  /* A typed word's characters, its stem's, and the word's starts, split once; and how
   * often each UTF-16 unit is in the word or its stem, whichever has more (`tooFar`). */
  function typedChars(entry) {
    var word = chars(entry.word)
    var prefixes = word.map(function (_, cut) {
      return word.slice(0, cut)
    })
    prefixes.push(word)
    var units = new Int32Array(65536)
    ;[entry.word, entry.term].forEach(function (text) {
      var counts = Object.create(null)
      for (var i = 0; i < text.length; i++) {
        var unit = text.charCodeAt(i)
        counts[unit] = (counts[unit] || 0) + 1
        units[unit] = Math.max(units[unit], counts[unit])
      }
    })
    return { word: word, stem: chars(entry.term), prefixes: prefixes, units: units, seen: new Int32Array(65536) }
  }

  /* Whether a term holds more than `limit` characters that neither the word nor its stem
   * has (counted with repeats): each edit adds at most one, so no comparison `editsTo`
   * makes could come within the limit. Most terms of a length are ruled out so, at the
   * cost of one look at each character. A term with a character beyond UTF-16's first
   * plane (two units, one character) is never ruled out. */
  function tooFar(typed, term, limit) {
    var extra = 0
    var astral = false
    for (var i = 0; i < term.length && extra <= limit && !astral; i++) {
      var unit = term.charCodeAt(i)
      astral = unit >= 0xd800 && unit <= 0xdfff
      if (++typed.seen[unit] > typed.units[unit]) extra++
    }
    for (var j = 0; j < i; j++) typed.seen[term.charCodeAt(j)] = 0
    return !astral && extra > limit
  }

  /* The catalog's term closest to a typed word (an entry of `analyze`): fewest edits
   * (within the word's limit), then the longest, then the most used, then the first in
   * order; null when none is close enough. `termsOfLength(n)` gives the terms of n
   * characters as [[term, uses], …] (the manifest's termsByLength). */
  function closestTerm(entry, termsOfLength) {
    var limit = typoLimit(chars(entry.term).length)
    var range = lengthRange(entry)
    var typed = typedChars(entry)
    var best = null
    if (!limit) return null
    for (var n = range[0]; n <= range[1]; n++) {
      ;(termsOfLength(n) || []).forEach(function (pair) {
        if (tooFar(typed, pair[0], limit)) return
        var edits = editsTo(typed, chars(pair[0]), limit)
        if (edits > limit) return
        var candidate = { term: pair[0], length: n, uses: pair[1], edits: edits }
        if (best === null || closer(candidate, best) < 0) best = candidate
      })
    }
    return best && best.term
  }

  function closer(a, b) {
    return a.edits - b.edits || b.length - a.length || b.uses - a.uses || (a.term < b.term ? -1 : 1)
  }

  /* The typed word respelled with another stem: the stem's ending swapped for the new
   * stem's (`rtansformer`, stem `rtansform`, becomes `transformer`); the term itself
   * when that spelling would not stem to it. */
  function respelled(entry, term) {
    var word = chars(entry.word)
    var stemmed = chars(entry.term)
    var same = 0
    while (same < word.length && same < stemmed.length && word[same] === stemmed[same]) same++
    var spelled = chars(term).slice(0, Math.max(0, chars(term).length - (stemmed.length - same))).join("") + word.slice(same).join("")
    return literalStars(stem(spelled)) === term ? spelled : term
  }

  /* The query with each word that matches nothing (`missing`, from unmatchedWords)
   * respelled as the closest term of the catalog; null when no such word could be
   * corrected. Run once their correction lengths (`correctionLengths`) are loaded. */
  function corrected(query, missing, termsOfLength) {
    var changed = 0
    var words = queryWords(query).map(function (entry, i) {
      if (missing.indexOf(i) === -1) return entry.word
      var term = closestTerm(entry, termsOfLength)
      if (term === null) return entry.word
      changed++
      return respelled(entry, term)
    })
    return changed ? words.join(" ") : null
  }

  /* A respelled query as the reader should see it: a word respelled as a bare stem
   * (`quantiz`) shown as the spelling of that stem most common in `texts` (the results
   * shown), when they have one. */
  function spelledOut(query, texts) {
    var spellings = Object.create(null) // term -> word -> count
    texts.forEach(function (text) {
      analyze(text).forEach(function (entry) {
        var words = (spellings[entry.term] = spellings[entry.term] || Object.create(null))
        words[entry.word] = (words[entry.word] || 0) + 1
      })
    })
    return analyze(query)
      .map(function (entry) {
        var words = entry.word === entry.term ? spellings[entry.term] : null
        if (!words) return entry.word
        return Object.keys(words).sort(function (a, b) {
          return words[b] - words[a] || (a < b ? -1 : 1)
        })[0]
      })
      .join(" ")
  }

  /* For a query of several words with no result: the query less the one word whose
   * removal leaves the most results, or null; for a query with quotes, the query without
   * them when it has results. Its shards are loaded already. */
  function fewerWords(query, source, accept) {
    var words = queryWords(query)
    var best = null
    var most = 0
    var plain = unquoted(query)
    if (quoteParts(query).length > 1) return find(plain, source, accept).count ? plain : null
    if (words.length < 2) return null
    words.forEach(function (_, i) {
      var fewer = words
        .filter(function (_, j) {
          return j !== i
        })
        .map(function (entry) {
          return entry.word
        })
        .join(" ")
      var count = find(fewer, source, accept).count
      if (count > most) {
        best = fewer
        most = count
      }
    })
    return best
  }

  /* The exact stem of a planned word, or null when the catalog lacks it. */
  function exactTerm(groups) {
    var keys = Object.keys(groups)
    for (var k = 0; k < keys.length; k++) {
      for (var i = 0; i < groups[keys[k]].length; i++) if (groups[keys[k]][i][2]) return groups[keys[k]][i][0]
    }
    return null
  }

  /* Results in the order shown: first by how many of the query's words they hold with
   * the same stem, then by how many in the very form typed, then by score: a paper with
   * the word typed (`recenters`) comes before papers that have only another word of its
   * stem (`recent`), and those before papers with only a word an edit away or one that
   * starts with it. `exact` holds both counts (see exactness). */
  function better(a, b) {
    return b.exact - a.exact || b.score - a.score || a.ref - b.ref
  }

  /* What a word held adds to a result's `exact`: its stem counts above any number of
   * words held in their form. */
  function exactness(words, sameForm) {
    return words.length + 1 + (sameForm ? 1 : 0)
  }

  /* The largest `exact` of a query of this many words. */
  function mostExact(words) {
    return words.length * (words.length + 2)
  }

  function everyRef() {
    return true
  }

  function refsOf(gaps) {
    var refs = new Set()
    var ref = 0
    for (var i = 0; i < gaps.length; i++) refs.add((ref += gaps[i]))
    return refs
  }

  /* Which of the papers that have a word's term hold the word in the very form typed: a
   * test of refs, or null when none does. A term's forms are in its shard's entry
   * (papershelf/search/occurrences.py): none when the term is its only form, one form,
   * or each form with its papers, the most used with the papers that lack it. */
  function holder(source, entry) {
    var key = shardKey(entry.term, source.keys)
    var shard = key === null ? null : source.shard(key)
    if (!shard || !shard.entries[entry.term]) return null
    var known = entry.term + " " + entry.word
    if (!(known in shard.holders)) shard.holders[known] = formHolder(shard.entries[entry.term][3], entry)
    return shard.holders[known]
  }

  /* `holder` from a term's forms, as its shard entry lists them. */
  function formHolder(forms, entry) {
    if (forms === undefined) return entry.word === entry.term ? everyRef : null
    if (typeof forms === "string") return forms === entry.word ? everyRef : null
    for (var i = 0; i < forms.length; i++) {
      if (forms[i][0] !== entry.word) continue
      var refs = refsOf(forms[i][1])
      if (i === 0) {
        return function (ref) {
          return !refs.has(ref)
        }
      }
      return function (ref) {
        return refs.has(ref)
      }
    }
    return null
  }

  /* For each of a query's words, its `holder`. */
  function holders(query, source) {
    if (!source) return []
    return queryWords(query).map(function (entry) {
      return holder(source, entry)
    })
  }

  /*
   * Score planned words with lunr.js: one lunr query per word and shard key, on
   * `indexFor(key)`, a lunr.Index holding at least the postings of every document that can
   * be a result. A result must match every word; its score is the sum. Best first
   * (`better`); `held[w]` tells the results that hold word w in the form typed.
   */
  function rank(words, indexFor, held) {
    var combined = null
    for (var w = 0; w < words.length; w++) {
      var groups = words[w]
      var exact = exactTerm(groups)
      var sameForm = held[w] || null
      var found = new Map()
      Object.keys(groups).forEach(function (key) {
        var results = indexFor(key).query(function (q) {
          groups[key].forEach(function (pair) {
            q.term(pair[0], { usePipeline: false, boost: pair[1] })
          })
        })
        for (var r = 0; r < results.length; r++) {
          var result = results[r]
          var hit = found.get(result.ref)
          if (hit === undefined) found.set(result.ref, (hit = new Result(Number(result.ref))))
          hit.score += result.score
          if (exact !== null && Object.prototype.hasOwnProperty.call(result.matchData.metadata, exact)) {
            hit.exact = exactness(words, sameForm !== null && sameForm(hit.ref))
          }
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
            hit.exact += other.exact
            hit.matches = hit.matches.concat(other.matches)
            next.set(ref, hit)
          }
        })
        combined = next
      }
    }
    return Array.from((combined || new Map()).values()).sort(better)
  }

  /*
   * One result: its ref, its score and, worked out only when asked (only the results shown
   * are highlighted), the index terms it matched.
   */
  function Result(ref) {
    this.ref = ref
    this.score = 0
    this.exact = 0 // the query's words it holds exactly (see `better`)
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

  /*
   * One shard file of the build, kept as data: its sorted terms, and each term's postings
   * decoded (refs from gaps, weights) the first time a query asks for them.
   */
  function Shard(data) {
    var entries = Object.create(null)
    var terms = []
    data.terms.forEach(function (entry) {
      entries[entry[0]] = entry
      terms.push(entry[0])
    })
    terms.sort()
    this.fields = data.fields
    this.terms = terms
    this.entries = entries
    this.decoded = Object.create(null)
    this.holders = Object.create(null) // "term word" -> its `holder`, once asked
  }

  /* A term's index number and postings: [{field, refs, weights}], refs ascending. */
  Shard.prototype.postings = function (term) {
    var known = this.decoded[term]
    if (known) return known
    var entry = this.entries[term]
    var postings = entry[2].map(function (fieldPostings) {
      var gaps = fieldPostings[1]
      var thousandths = fieldPostings[2]
      var refs = new Int32Array(gaps.length)
      var weights = new Float64Array(gaps.length)
      var ref = 0
      for (var i = 0; i < gaps.length; i++) {
        ref += gaps[i] // refs come as gaps from the previous one
        refs[i] = ref
        weights[i] = thousandths[i] / 1000 // the weight lunr's vectors hold
      }
      return { field: fieldPostings[0], refs: refs, weights: weights }
    })
    return (this.decoded[term] = { index: entry[1], postings: postings })
  }

  /*
   * A lunr.js index of some terms of this shard, holding only the postings of the documents
   * `wanted` marks. A document's score depends only on its own postings of the query's
   * terms, so it scores here exactly as in the whole index.
   */
  Shard.prototype.index = function (terms, wanted) {
    var fields = this.fields
    var invertedIndex = Object.create(null)
    var vectors = Object.create(null)
    var shard = this
    terms.forEach(function (term) {
      var found = shard.postings(term)
      var posting = { _index: found.index }
      fields.forEach(function (name) {
        posting[name] = Object.create(null)
      })
      found.postings.forEach(function (part) {
        var name = fields[part.field]
        for (var i = 0; i < part.refs.length; i++) {
          var ref = part.refs[i]
          if (!wanted[ref]) continue
          posting[name][ref] = {}
          var fieldRef = name + "/" + ref
          ;(vectors[fieldRef] = vectors[fieldRef] || new lunr.Vector()).insert(found.index, part.weights[i])
        }
      })
      invertedIndex[term] = posting
    })
    return new lunr.Index({
      invertedIndex: invertedIndex,
      fieldVectors: vectors,
      tokenSet: lunr.TokenSet.fromArray(terms.slice().sort()),
      fields: fields,
      pipeline: new lunr.Pipeline(),
    })
  }

  function loadShard(data) {
    return new Shard(data)
  }

  /*
   * One positions file of the build: for each term of the shard of the same key, the
   * positions of its every posting, in the shard's order (papershelf/search/occurrences.py).
   */
  function Positions(data) {
    var entries = Object.create(null)
    data.terms.forEach(function (entry) {
      entries[entry[0]] = entry[1]
    })
    this.entries = entries
    this.decoded = Object.create(null)
  }

  /* A term's positions: field number -> Map of ref -> positions, ascending. */
  Positions.prototype.of = function (term, shard) {
    var known = this.decoded[term]
    if (known) return known
    var byField = Object.create(null)
    var postings = shard.postings(term).postings
    ;(this.entries[term] || []).forEach(function (part, i) {
      var refs = postings[i].refs
      var map = new Map()
      part[1].forEach(function (value, k) {
        if (typeof value === "number") {
          map.set(refs[k], [value])
          return
        }
        var at = 0
        map.set(
          refs[k],
          value.map(function (gap) {
            return (at += gap)
          })
        )
      })
      byField[part[0]] = map
    })
    return (this.decoded[term] = byField)
  }

  function loadPositions(data) {
    return new Positions(data)
  }

  /* A test of refs: whether a paper has a phrase's terms next to each other, in order, in
   * one field. `source.positions(key)` gives the loaded positions of a shard key
   * (positionKeysFor). */
  function phraseTest(source, terms) {
    var lists = terms.map(function (term) {
      var key = shardKey(term, source.keys)
      var shard = key === null ? null : source.shard(key)
      var positions = key === null ? null : source.positions(key)
      return shard && positions && shard.entries[term] ? positions.of(term, shard) : null
    })
    if (lists.indexOf(null) !== -1) {
      return function () {
        return false
      }
    }
    var fields = Object.keys(lists[0])
    return function (ref) {
      return hasPhrase(lists, fields, ref)
    }
  }

  function hasPhrase(lists, fields, ref) {
    return fields.some(function (field) {
      var here = lists.map(function (byField) {
        return byField[field] ? byField[field].get(ref) : undefined
      })
      if (here.indexOf(undefined) !== -1) return false
      return here[0].some(function (start) {
        return here.every(function (positions, i) {
          return positions.indexOf(start + i) !== -1
        })
      })
    })
  }

  /*
   * Find a query's results in the split index. `source` is {keys: the manifest's shard keys,
   * count: documents in the index, shard(key): a loaded Shard or null}; `accept(ref)`, if
   * given, filters the results. Returns a Found: how many results there are, and the best
   * of them on demand.
   *
   * A word like "model" matches most of a large catalog, and lunr.js scoring every match
   * takes seconds. So every match first gets an estimate of its score from the postings,
   * with lunr's own formula (per shard key and field, the dot product of the query's
   * boosts with the document's weights, over the boosts' length), in a different order
   * of additions: it differs from lunr's score by rounding only, far less than EPSILON.
   * Only the documents whose estimate can reach the page asked for are scored by lunr.js.
   */
  function find(query, source, accept) {
    var words = plan(query, shardTerms(source), source.keys)
    var held = holders(query, source)
    var wanted = phrases(query).map(function (terms) {
      return phraseTest(source, terms)
    })
    var estimate = new Float64Array(source.count)
    var matched = new Uint8Array(source.count) // words matched so far
    var exact = new Uint8Array(source.count) // words held exactly (see `better`)
    var countedExact = new Uint8Array(source.count) // the last word counted in `exact`, plus 1
    words.forEach(function (groups, w) {
      var sameForm = held[w]
      Object.keys(groups).forEach(function (key) {
        var shard = source.shard(key)
        var length = Math.sqrt(
          groups[key].reduce(function (sum, pair) {
            return sum + pair[1] * pair[1]
          }, 0)
        )
        groups[key].forEach(function (pair) {
          var scale = pair[1] / length
          shard.postings(pair[0]).postings.forEach(function (part) {
            for (var i = 0; i < part.refs.length; i++) {
              var ref = part.refs[i]
              if (matched[ref] < w) continue // missed an earlier word: not a result
              matched[ref] = w + 1
              if (pair[2] && countedExact[ref] !== w + 1) {
                countedExact[ref] = w + 1 // a ref is in a term's postings once per field
                exact[ref] += exactness(words, sameForm !== null && sameForm(ref))
              }
              estimate[ref] += scale * part.weights[i]
            }
          })
        })
      })
    })
    var refs = []
    for (var ref = 0; ref < source.count; ref++) {
      if (words.length && matched[ref] === words.length && (!accept || accept(ref)) && phrased(ref)) refs.push(ref)
    }
    function phrased(ref) {
      return wanted.every(function (test) {
        return test(ref)
      })
    }
    return new Found(words, source, Int32Array.from(refs), estimate, exact, held)
  }

  var EPSILON = 1e-9 // relative; rounding differences are below 1e-12

  function Found(words, source, refs, estimate, exact, held) {
    this.words = words
    this.held = held // per word, which results hold it in the form typed (`holder`)
    this.source = source
    this.refs = refs // every result, by ref
    this.count = refs.length
    this.estimate = estimate
    this.exact = exact // by ref: words held exactly, the first key of the order (`better`)
    this.best = [] // the best results so far, exactly as the whole index ranks them
    this.scored = 0 // documents lunr.js scored for them
    var termsByKey = (this.termsByKey = Object.create(null)) // the query's terms in each shard
    words.forEach(function (groups) {
      Object.keys(groups).forEach(function (key) {
        var terms = (termsByKey[key] = termsByKey[key] || [])
        groups[key].forEach(function (pair) {
          if (terms.indexOf(pair[0]) === -1) terms.push(pair[0])
        })
      })
    })
  }

  /* The `count` best results, best first: the same results, scores and order as the
   * whole index gives. Results are ordered by words held exactly, then by score: the best
   * `count` are every result of the tiers above a boundary tier, then the best of that
   * tier, which the estimates pick as they would among all results. */
  Found.prototype.top = function (count) {
    count = Math.min(count, this.count)
    if (this.best.length < count) {
      var estimate = this.estimate
      var exact = this.exact
      var perTier = new Int32Array(mostExact(this.words) + 1)
      for (var r = 0; r < this.count; r++) perTier[exact[this.refs[r]]]++
      var tier = mostExact(this.words)
      var above = 0 // results in tiers above `tier`
      while (above + perTier[tier] < count) above += perTier[tier--]
      var estimates = new Float64Array(perTier[tier])
      var n = 0
      for (var i = 0; i < this.count; i++) if (exact[this.refs[i]] === tier) estimates[n++] = estimate[this.refs[i]]
      estimates.sort()
      // At least `count - above` documents of the tier score at least `kth` - margin/2, so
      // every one of its best that many estimates at least `kth` - margin.
      var kth = estimates[estimates.length - (count - above)]
      var ranked = this.rank(tier, kth - 2 * EPSILON * (1 + Math.abs(kth)))
      this.best = ranked.length < count ? this.rank(0, -Infinity) : ranked.slice(0, count)
    }
    return this.best.slice(0, count)
  }

  /* Every result of a tier above `tier`, and of `tier` those whose estimate is at least
   * `floor`, scored by lunr.js, best first; all results if an estimate turns out further
   * from lunr's score than the margin allows. */
  Found.prototype.rank = function (tier, floor) {
    var wanted = new Uint8Array(this.source.count)
    var estimate = this.estimate
    var exact = this.exact
    var scored = 0
    this.refs.forEach(function (ref) {
      if (exact[ref] > tier || (exact[ref] === tier && estimate[ref] >= floor)) {
        wanted[ref] = 1
        scored++
      }
    })
    this.scored = scored
    var termsByKey = this.termsByKey
    var source = this.source
    var indexes = Object.create(null)
    var ranked = rank(
      this.words,
      function (key) {
        return (indexes[key] = indexes[key] || source.shard(key).index(termsByKey[key], wanted))
      },
      this.held
    )
    var close = ranked.every(function (result) {
      return Math.abs(result.score - estimate[result.ref]) <= EPSILON * (1 + Math.abs(result.score))
    })
    return close || floor === -Infinity ? ranked : this.rank(0, -Infinity)
  }

  /*
   * The reference the split index is tested against: queries run on one lunr.js index of
   * the whole catalog (as lunr.py serializes it), with the same expansions per shard key
   * and the forms of words that `forms` (a split index's source) holds. Returns
   * search(query) → every result, best first.
   */
  function wholeIndex(serialized, keys, forms) {
    var index = lunr.Index.load(serialized)
    var byKey = Object.create(null)
    Object.keys(index.invertedIndex)
      .sort()
      .forEach(function (term) {
        var key = shardKey(term, keys)
        ;(byKey[key] = byKey[key] || []).push(term)
      })
    function terms(key) {
      return byKey[key] || []
    }
    return function (query) {
      return rank(
        plan(query, terms, keys),
        function () {
          return index
        },
        holders(query, forms)
      )
    }
  }

  return {
    analyze: analyze,
    normalizeWord: normalizeWord,
    shardKey: shardKey,
    indexFile: indexFile,
    keysFor: keysFor,
    positionKeysFor: positionKeysFor,
    queryWords: queryWords,
    phrases: phrases,
    unquoted: unquoted,
    plan: plan,
    withinDistance: withinDistance,
    distance: distance,
    unmatchedWords: unmatchedWords,
    correctionLengths: correctionLengths,
    closestTerm: closestTerm,
    corrected: corrected,
    fewerWords: fewerWords,
    spelledOut: spelledOut,
    find: find,
    loadShard: loadShard,
    loadPositions: loadPositions,
    wholeIndex: wholeIndex,
  }
})
