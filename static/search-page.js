/*
 * The search page: results as you type, the query kept in the URL (?q=, &tag=, &code=1),
 * filters by tag and "has code" (with no words: that tag's papers, newest first), and
 * snippets with the matched words highlighted. Back from a result finds the results as
 * they were left, as many shown and scrolled as far. Loads only what a query needs: the
 * manifest, one shard per word, the documents shown.
 */
;(function () {
  "use strict"
  var core = window.PapershelfSearch
  var config = JSON.parse(document.getElementById("search-config").textContent)
  var form = document.getElementById("search-form")
  var input = document.getElementById("search-input")
  var tagSelect = document.getElementById("search-tag")
  var codeBox = document.getElementById("search-code")
  var status = document.getElementById("search-status")
  var list = document.getElementById("search-results")
  var more = document.getElementById("search-more")
  var PAGE = 10
  var DEBOUNCE_MS = 150

  var manifest = null
  var shards = Object.create(null) // key -> loaded shard
  var positions = Object.create(null) // key -> loaded positions of a shard's terms
  var termLists = Object.create(null) // length -> the catalog's terms of that length, loaded
  var files = Object.create(null) // url -> promise of parsed JSON
  var current = { found: null, shown: 0 }
  var generation = 0
  var lastPush = 0

  function fetchJSON(relative) {
    var url = config.base + relative
    if (!files[url]) {
      files[url] = fetch(url).then(function (response) {
        if (!response.ok) throw new Error(response.status + " " + url)
        return /\.gz$/.test(url) ? decompressed(response) : response.json()
      })
      files[url].catch(function () {
        delete files[url]
      })
    }
    return files[url]
  }

  /* The shards and documents are stored gzip-compressed (the site's size on disk is what
     GitHub Pages limits). A server that sends them with Content-Encoding: gzip has the
     browser decompress them already: the gzip magic number tells. */
  function decompressed(response) {
    return response.arrayBuffer().then(function (buffer) {
      var bytes = new Uint8Array(buffer)
      if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return JSON.parse(new TextDecoder().decode(bytes))
      return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).json()
    })
  }

  function loadManifest() {
    return manifest ? Promise.resolve(manifest) : fetchJSON(config.manifest).then(function (data) {
      manifest = data
      return data
    })
  }

  /* The split index as the search core reads it (once the manifest is in). */
  function source() {
    return {
      keys: manifest.shards,
      count: manifest.count,
      shard: function (key) {
        return shards[key] || null
      },
      positions: function (key) {
        return positions[key] || null
      },
    }
  }

  /* The shards a query needs, and for its quoted phrases the positions of their terms. */
  function loadShards(query) {
    function load(keys, kind, loaded, make) {
      return keys
        .filter(function (key) {
          return manifest.shards[key] && !loaded[key]
        })
        .map(function (key) {
          return fetchJSON(core.indexFile(kind, key, manifest.shards[key])).then(function (data) {
            loaded[key] = make(data)
          })
        })
    }
    return Promise.all(
      load(core.keysFor(query, manifest.shards), "t", shards, core.loadShard).concat(
        load(core.positionKeysFor(query, manifest.shards), "x", positions, core.loadPositions)
      )
    )
  }

  /* The query respelled where its words at `missing` match nothing (search-core's
     `corrected`), with the shards it needs loaded; null when no word was respelled. */
  function respell(query, missing) {
    var lengths = Object.create(null)
    missing.forEach(function (position) {
      core.correctionLengths(query, position).forEach(function (length) {
        if (manifest.termsByLength[length] && !termLists[length]) lengths[length] = manifest.termsByLength[length]
      })
    })
    return Promise.all(
      Object.keys(lengths).map(function (length) {
        return fetchJSON(lengths[length]).then(function (terms) {
          termLists[length] = terms
        })
      })
    ).then(function () {
      var respelled = core.corrected(query, missing, function (length) {
        return termLists[length] || []
      })
      return respelled
        ? loadShards(respelled).then(function () {
            return respelled
          })
        : null
    })
  }

  /* A document chunk: its name carries the digest of its group, in the manifest. */
  function loadChunk(chunk) {
    return fetchJSON("search/d/" + chunk + "." + manifest.docGroups[Math.floor(chunk / manifest.chunksPerGroup)] + ".json.gz")
  }

  function loadDocs(refs) {
    var chunks = Object.create(null)
    refs.forEach(function (ref) {
      chunks[Math.floor(ref / manifest.docsPerChunk)] = true
    })
    return Promise.all(
      Object.keys(chunks).map(function (chunk) {
        return loadChunk(Number(chunk)).then(function (docs) {
          return [Number(chunk), docs]
        })
      })
    ).then(function (loaded) {
      var byChunk = Object.create(null)
      loaded.forEach(function (pair) {
        byChunk[pair[0]] = pair[1]
      })
      return refs.map(function (ref) {
        return byChunk[Math.floor(ref / manifest.docsPerChunk)][ref % manifest.docsPerChunk]
      })
    })
  }

  /* The filters chosen (a tag, "has code"): accept(ref) and the refs they let through,
     newest first; null when there are none. */
  function loadFilter() {
    var wanted = []
    if (tagSelect.value) {
      var tag = manifest.tags.find(function (t) {
        return t[1] === tagSelect.value
      })
      wanted.push(tag ? fetchJSON(tag[3]) : Promise.resolve([]))
    }
    if (codeBox.checked) wanted.push(fetchJSON(manifest.code))
    return Promise.all(wanted).then(function (lists) {
      if (!lists.length) return null
      var sets = lists.map(function (refs) {
        return new Set(refs)
      })
      function accept(ref) {
        return sets.every(function (set) {
          return set.has(ref)
        })
      }
      // Refs count from the oldest paper: the newest come last.
      return { accept: accept, refs: lists[0].filter(accept).sort(function (a, b) { return b - a }) }
    })
  }

  /* Papers to browse, in the shape of what core.find gives: no words matched. */
  function browsing(refs) {
    return {
      count: refs.length,
      top: function (count) {
        return refs.slice(0, count).map(function (ref) {
          return { ref: ref, terms: [] }
        })
      },
    }
  }

  /* Text with the words whose index term matched wrapped in <mark>, built as DOM nodes. */
  function highlighted(text, terms) {
    var fragment = document.createDocumentFragment()
    // A token as the index splits text; the word marked is the token without the
    // punctuation around it ("Merging:" marks "Merging").
    var pattern = /[^\s-]+/g
    var last = 0
    var match
    while ((match = pattern.exec(text))) {
      var analyzed = core.analyze(match[0])
      var hit = analyzed.length && terms.indexOf(analyzed[0].term) !== -1
      var word = /^[^\p{L}\p{N}]*(.*?)[^\p{L}\p{N}]*$/u.exec(match[0])
      if (hit && word[1]) {
        var start = match.index + match[0].indexOf(word[1])
        fragment.appendChild(document.createTextNode(text.slice(last, start)))
        var mark = document.createElement("mark")
        mark.textContent = word[1]
        fragment.appendChild(mark)
        last = start + word[1].length
      }
    }
    fragment.appendChild(document.createTextNode(text.slice(last)))
    return fragment
  }

  /* About 40 words of the abstract around its first matched word. */
  function snippet(abstract, terms) {
    var words = abstract.split(" ")
    var first = words.findIndex(function (word) {
      var analyzed = core.analyze(word)
      return analyzed.length && terms.indexOf(analyzed[0].term) !== -1
    })
    var start = Math.max(0, (first === -1 ? 0 : first) - 12)
    var end = Math.min(words.length, start + 40)
    return (start > 0 ? "… " : "") + words.slice(start, end).join(" ") + (end < words.length ? " …" : "")
  }

  /* Where a paper's or a tag's page is, from the patterns the build wrote in the config. */
  function pageUrl(pattern, slug) {
    return pattern.replace("{slug}", encodeURIComponent(slug))
  }

  /* A result as the site's lists show a paper: the build's card template (templates/
     _macros.html, result_card) filled in, with the words matched highlighted and the
     excerpt taken around the first of them; the parts a paper lacks are removed. */
  var cardTemplate = document.getElementById("result-card")

  function card(doc, result) {
    var item = cardTemplate.content.firstElementChild.cloneNode(true)
    function part(name) {
      var element = item.querySelector('[data-part="' + name + '"]')
      element.removeAttribute("data-part")
      return element
    }
    var link = part("title")
    link.href = pageUrl(config.paperUrl, doc.u)
    link.appendChild(highlighted(doc.t, result.terms))
    var meta = part("meta")
    var name = part("name")
    var code = part("code")
    if (doc.s) name.textContent = doc.s
    else name.remove()
    if (!doc.c) code.remove()
    if (!doc.s && !doc.c) meta.remove()
    var excerpt = part("excerpt")
    if (doc.a) excerpt.appendChild(highlighted(snippet(doc.a, result.terms), result.terms))
    else excerpt.remove()
    var tags = part("tags")
    doc.g.forEach(function (number) {
      var tag = manifest.tags[number]
      var a = document.createElement("a")
      a.href = pageUrl(config.tagUrl, tag[1])
      a.textContent = tag[0]
      tags.appendChild(a)
    })
    if (!doc.g.length) tags.remove()
    return item
  }

  function showMore(run) {
    var batch = current.found.top(current.shown + PAGE).slice(current.shown)
    return loadDocs(
      batch.map(function (r) {
        return r.ref
      })
    ).then(function (docs) {
      if (run !== generation) return
      docs.forEach(function (doc, i) {
        list.appendChild(card(doc, batch[i]))
      })
      if (current.respelled && !current.spelled) {
        current.spelled = core.spelledOut(
          current.respelled,
          docs.map(function (doc) {
            return doc.t + " " + doc.a
          })
        )
      }
      current.shown += batch.length
      more.hidden = current.shown >= current.found.count
      showCount()
    })
  }

  /* "1–10 of 22 results", or of a tag's papers when browsing; for a respelled query, what
     was searched instead. */
  function showCount() {
    var found = current.found
    var what = current.browsing ? (found.count === 1 ? " paper" : " papers") : found.count === 1 ? " result" : " results"
    var range = found.count > current.shown ? "1–" + current.shown + " of " : ""
    var respelled = current.respelled ? " for “" + (current.spelled || current.respelled) + "”" : ""
    setStatus(range + found.count + what + respelled + (current.browsing ? ", newest first" : ""), current.respelled ? "Nothing matches “" + current.query + "”." : "")
  }

  /* What the page showed, kept in the history entry so that back restores it. */
  function keepPlace() {
    history.replaceState({ shown: current.shown, scroll: window.scrollY }, "", location.href)
  }

  /* Shows more results until `count` are shown (back to a page that showed as many). */
  function showUpTo(run, count) {
    return showMore(run).then(function () {
      if (run === generation && current.shown < Math.min(count, current.found.count)) return showUpTo(run, count)
    })
  }

  /* The status line; `hint` is text, or a query to offer ("Did you mean …?"). */
  function setStatus(text, hint, offered) {
    status.textContent = text
    if (hint || offered) {
      var small = document.createElement("span")
      small.className = "hint"
      small.textContent = " " + (hint || "Did you mean ")
      if (offered) {
        var link = document.createElement("a")
        link.href = "?" + new URLSearchParams({ q: offered }).toString()
        link.textContent = offered
        link.addEventListener("click", function (event) {
          event.preventDefault()
          input.value = offered
          remember(true)
          run()
        })
        small.appendChild(document.createTextNode("“"))
        small.appendChild(link)
        small.appendChild(document.createTextNode("”?"))
      }
      status.appendChild(small)
    }
  }

  /* Marks the results as complete for a query (what the tests and assistive tools wait on). */
  function settled(query) {
    list.setAttribute("data-query", query)
    list.setAttribute("aria-busy", "false")
  }

  /* Searches (or browses the filters' papers); `restore` is what a history entry showed. */
  function run(restore) {
    var query = input.value.trim()
    var run = ++generation
    var filtered = Boolean(tagSelect.value || codeBox.checked)
    list.setAttribute("aria-busy", "true")
    if (!query && !filtered) {
      list.textContent = ""
      more.hidden = true
      setStatus("Type to search " + (manifest ? manifest.count + " papers" : "the catalog") + ", or choose a tag to browse.", "Put a phrase in quotes to find it word for word.")
      settled(query)
      return Promise.resolve()
    }
    return loadManifest()
      .then(function () {
        return Promise.all([query ? loadShards(query) : null, loadFilter()])
      })
      .then(function (loaded) {
        if (run !== generation) return null
        var filter = loaded[1]
        var accept = filter && filter.accept
        if (!query) return [browsing(filter.refs), null, accept]
        var found = core.find(query, source(), accept)
        // A word that matches nothing leaves no result (every word must match): respelled,
        // it may find some.
        var missing = found.count ? [] : core.unmatchedWords(query, found.words)
        if (!missing.length) return [found, null, accept]
        return respell(query, missing).then(function (respelled) {
          return [respelled ? core.find(respelled, source(), accept) : found, respelled, accept]
        })
      })
      .then(function (searched) {
        if (run !== generation || !searched) return
        var found = searched[0]
        var respelled = searched[1]
        var accept = searched[2]
        current = { found: found, shown: 0, browsing: !query, query: query, respelled: respelled }
        list.textContent = ""
        if (!found.count) {
          more.hidden = true
          var fewer = core.fewerWords(respelled || query, source(), accept)
          var phrase = core.phrases(query).length > 0
          if (fewer) setStatus((phrase ? "No paper has the phrase " : "No paper has all of ") + "“" + core.unquoted(query) + "”.", "", fewer)
          else
            setStatus(
              "No results for “" + query + "”.",
              filtered
                ? "Try removing the filters, or fewer or shorter words."
                : "Try fewer or shorter words, check the spelling, or browse the tags."
            )
          settled(query)
          return
        }
        return showUpTo(run, restore && restore.shown ? restore.shown : PAGE).then(function () {
          if (run !== generation) return
          settled(query)
          if (restore && restore.scroll) window.scrollTo(0, restore.scroll)
        })
      })
      .catch(function (error) {
        if (run !== generation) return
        setStatus("Search is unavailable right now (" + error.message + "). Try reloading the page.")
        settled(query)
      })
  }

  function stateURL() {
    var params = new URLSearchParams()
    if (input.value.trim()) params.set("q", input.value.trim())
    if (tagSelect.value) params.set("tag", tagSelect.value)
    if (codeBox.checked) params.set("code", "1")
    var search = params.toString()
    return location.pathname + (search ? "?" + search : "")
  }

  /* New searches get a history entry, keystrokes within one search replace it. */
  function remember(push) {
    var url = stateURL()
    if (url === location.pathname + location.search) return
    var now = Date.now()
    if (push || now - lastPush > 1500) {
      history.pushState(null, "", url)
    } else {
      history.replaceState(null, "", url)
    }
    lastPush = now
  }

  function fromURL() {
    var params = new URLSearchParams(location.search)
    input.value = params.get("q") || ""
    tagSelect.value = params.get("tag") || ""
    if (tagSelect.selectedIndex === -1) tagSelect.value = ""
    codeBox.checked = params.get("code") === "1"
  }

  var timer = null
  input.addEventListener("input", function () {
    clearTimeout(timer)
    timer = setTimeout(function () {
      remember(false)
      run()
    }, DEBOUNCE_MS)
  })
  ;[tagSelect, codeBox].forEach(function (control) {
    control.addEventListener("change", function () {
      remember(true)
      run()
    })
  })
  form.addEventListener("submit", function (event) {
    event.preventDefault()
    clearTimeout(timer)
    remember(true)
    run()
  })
  more.addEventListener("click", function () {
    showMore(generation).then(keepPlace)
  })
  window.addEventListener("popstate", function (event) {
    fromURL()
    run(event.state)
  })
  // Leaving for a result (or anywhere): the entry remembers how far the reader got.
  window.addEventListener("pagehide", keepPlace)
  history.scrollRestoration = "manual" // the results are not there yet when the browser would scroll

  document.documentElement.classList.add("search-ready")
  fromURL()
  var arrived = history.state
  run(arrived)
  if (!arrived || !arrived.scroll) input.focus()
})()
