/*
 * On every page, what needs a browser rather than a page written once for everyone:
 * - the header's search box, and "/" to focus it (or the search page's own box);
 * - a reading list kept in this browser (localStorage): ☆ Save on papers and cards, the
 *   Saved page, its export as BibTeX or JSON;
 * - on a paper's page, links that look its title up elsewhere and a BibTeX citation to copy;
 * - j and k to move through the papers of a list, Enter to open one.
 * Each part is added here rather than written into every page: a large catalog has many
 * pages, and none of this works without JavaScript anyway.
 */
;(function () {
  "use strict"
  var brand = document.querySelector(".site-header .brand")
  var base = brand ? brand.getAttribute("href") : "/"
  var nav = document.querySelector(".site-header nav")

  function element(name, attributes, text) {
    var node = document.createElement(name)
    Object.keys(attributes || {}).forEach(function (key) {
      node.setAttribute(key, attributes[key])
    })
    if (text) node.textContent = text
    return node
  }

  function typing(target) {
    var tag = target && target.tagName
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || Boolean(target && target.isContentEditable)
  }

  /* The header's search box. */
  var searchLink = nav && nav.querySelector('a[href$="search/"]')
  if (searchLink && !document.getElementById("search-input")) {
    var form = element("form", { class: "header-search", role: "search", action: searchLink.getAttribute("href") })
    form.appendChild(element("input", { id: "header-search-input", name: "q", type: "search", autocomplete: "off", placeholder: "Search papers", "aria-label": "Search papers" }))
    nav.parentNode.appendChild(form)
  }

  /* The reading list: papers by slug, in the order they were saved. */
  var STORE = "papershelf:saved:" + base
  function savedPapers() {
    try {
      var list = JSON.parse(localStorage.getItem(STORE) || "[]")
      return Array.isArray(list) ? list : []
    } catch {
      return []
    }
  }
  function keep(list) {
    try {
      localStorage.setItem(STORE, JSON.stringify(list))
    } catch {
      /* storage full or refused: the list stays as it was */
    }
    document.dispatchEvent(new CustomEvent("papershelf:saved"))
  }
  function isSaved(slug) {
    return savedPapers().some(function (paper) {
      return paper.slug === slug
    })
  }
  function toggle(paper) {
    var list = savedPapers()
    var others = list.filter(function (saved) {
      return saved.slug !== paper.slug
    })
    keep(others.length === list.length ? list.concat([paper]) : others)
  }
  function paperURL(slug) {
    return new URL(base + "papers/" + slug + ".html", location.href).href
  }

  /* A paper as a link to its page names it: slug, title, URL, tags. */
  function paperFrom(link, tagLinks) {
    var slug = decodeURIComponent(new URL(link.href).pathname.split("/").pop().replace(/\.html$/, ""))
    return {
      slug: slug,
      title: link.textContent.trim(),
      url: paperURL(slug),
      tags: Array.prototype.map.call(tagLinks, function (a) {
        return a.textContent.trim()
      }),
    }
  }

  function saveButton(paper) {
    // The visible words, then the paper's title for whoever hears the button among many.
    var button = element("button", { type: "button", class: "save" })
    var words = element("span")
    button.appendChild(words)
    button.appendChild(element("span", { class: "visually-hidden" }, " " + paper.title))
    function show() {
      var saved = isSaved(paper.slug)
      button.setAttribute("aria-pressed", String(saved))
      words.textContent = saved ? "★ Saved" : "☆ Save"
    }
    button.addEventListener("click", function () {
      toggle(Object.assign({ saved: new Date().toISOString() }, paper))
    })
    document.addEventListener("papershelf:saved", show)
    show()
    return button
  }

  /* A card of a list (or of search results, which arrive later) gets its Save button. */
  function decorate(card) {
    var link = card.querySelector("h2 a, h3 a")
    if (!link || card.querySelector(".save") || !/\/papers\/[^/]+\.html$/.test(link.pathname)) return
    card.appendChild(saveButton(paperFrom(link, card.querySelectorAll(".tags a"))))
  }
  Array.prototype.forEach.call(document.querySelectorAll(".cards"), function (list) {
    Array.prototype.forEach.call(list.children, decorate)
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        Array.prototype.forEach.call(change.addedNodes, function (node) {
          if (node.nodeType === 1 && node.tagName === "LI") decorate(node)
        })
      })
    }).observe(list, { childList: true })
  })

  function bibtex(paper) {
    var escaped = paper.title.replace(/([&%$#_{}])/g, "\\$1")
    var key = paper.slug.split("-").slice(0, 4).join("-")
    var note = paper.tags.length ? "Tags: " + paper.tags.join(", ").replace(/([&%$#_{}])/g, "\\$1") : ""
    return "@misc{" + key + ",\n  title = {{" + escaped + "}},\n  howpublished = {\\url{" + paper.url + "}}" + (note ? ",\n  note = {" + note + "}" : "") + "\n}\n"
  }

  /* A paper's page: Save, Copy BibTeX, and its title looked up where papers are found. */
  var article = document.querySelector("article.paper")
  if (article) {
    var heading = article.querySelector("h1")
    var slug = decodeURIComponent(location.pathname.split("/").pop().replace(/\.html$/, ""))
    var paper = {
      slug: slug,
      title: heading.textContent.trim(),
      url: paperURL(slug),
      tags: Array.prototype.map.call(article.querySelectorAll("header .tags a"), function (a) {
        return a.textContent.trim()
      }),
    }
    var actions = element("p", { class: "paper-actions" })
    actions.appendChild(saveButton(paper))
    var copy = element("button", { type: "button", class: "button" }, "Copy BibTeX")
    var copied = element("span", { class: "copied", role: "status" })
    copy.addEventListener("click", function () {
      var text = bibtex(paper)
      var done = function () {
        copied.textContent = "Copied"
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () {
          copied.textContent = "Could not copy: " + text
        })
      } else {
        copied.textContent = text
      }
    })
    actions.appendChild(copy)
    actions.appendChild(copied)
    var title = encodeURIComponent(paper.title)
    var find = element("p", { class: "find-links" }, "Find it on ")
    ;[
      ["arXiv", "https://arxiv.org/search/?searchtype=title&query=" + title],
      ["Semantic Scholar", "https://www.semanticscholar.org/search?q=" + title],
      ["Google Scholar", "https://scholar.google.com/scholar?q=" + encodeURIComponent('"' + paper.title + '"')],
      ["Hugging Face", "https://huggingface.co/papers?q=" + title],
    ].forEach(function (site, index, all) {
      find.appendChild(element("a", { href: site[1], rel: "nofollow" }, site[0]))
      if (index < all.length - 1) find.appendChild(document.createTextNode(index === all.length - 2 ? " or " : ", "))
    })
    var header = article.querySelector("header")
    header.appendChild(actions)
    header.appendChild(find)
  }

  /* The Saved page: the reading list, with its exports. */
  var savedList = document.getElementById("saved-list")
  if (savedList) {
    var status = document.getElementById("saved-status")
    var exports = document.getElementById("saved-export")
    var urls = []
    var render = function () {
      var papers = savedPapers()
      savedList.textContent = ""
      papers.forEach(function (paper) {
        var item = element("li")
        var h2 = element("h2")
        h2.appendChild(element("a", { href: paperURL(paper.slug) }, paper.title))
        item.appendChild(h2)
        if (paper.tags && paper.tags.length) item.appendChild(element("p", { class: "card-meta" }, paper.tags.join(" · ")))
        item.appendChild(saveButton(paper))
        savedList.appendChild(item)
      })
      status.textContent = papers.length
        ? papers.length + (papers.length === 1 ? " saved paper" : " saved papers") + ", in the order you saved them."
        : "No saved papers yet: press ☆ Save on a paper or a card to keep it here."
      exports.hidden = !papers.length
      urls.forEach(URL.revokeObjectURL)
      urls = [
        URL.createObjectURL(new Blob([papers.map(bibtex).join("\n")], { type: "application/x-bibtex" })),
        URL.createObjectURL(new Blob([JSON.stringify(papers, null, 1)], { type: "application/json" })),
      ]
      document.getElementById("saved-bibtex").href = urls[0]
      document.getElementById("saved-json").href = urls[1]
    }
    document.addEventListener("papershelf:saved", render)
    window.addEventListener("storage", function (event) {
      if (event.key === STORE) render()
    })
    render()
  }

  /* "/" focuses a search box; j and k move through a list's papers. */
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return
    if (event.key === "/") {
      var box = document.getElementById("search-input") || document.getElementById("header-search-input")
      if (!box) return
      event.preventDefault()
      box.focus()
      box.select()
    } else if (event.key === "j" || event.key === "k") {
      var titles = Array.prototype.slice.call(document.querySelectorAll(".cards > li > h2 a, .cards > li > h3 a"))
      if (!titles.length) return
      var at = titles.findIndex(function (link) {
        return link.closest("li").contains(document.activeElement)
      })
      var next = event.key === "j" ? Math.min(at + 1, titles.length - 1) : Math.max(at - 1, 0)
      event.preventDefault()
      titles[next].focus()
      titles[next].scrollIntoView({ block: "nearest" })
    }
  })
})()
