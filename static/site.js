/*
 * On every page: the header's search box, and "/" to focus it (or the search page's own
 * box), unless the reader is typing somewhere. The box is made here rather than written
 * into every page: it needs the search page, which needs JavaScript anyway.
 */
;(function () {
  "use strict"
  var nav = document.querySelector(".site-header nav")
  var searchLink = nav && nav.querySelector('a[href$="search/"]')
  if (searchLink && !document.getElementById("search-input")) {
    var form = document.createElement("form")
    form.className = "header-search"
    form.setAttribute("role", "search")
    form.action = searchLink.getAttribute("href")
    var input = document.createElement("input")
    input.id = "header-search-input"
    input.name = "q"
    input.type = "search"
    input.autocomplete = "off"
    input.placeholder = "Search papers"
    input.setAttribute("aria-label", "Search papers")
    form.appendChild(input)
    nav.parentNode.appendChild(form)
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return
    var target = event.target
    var tag = target && target.tagName
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) return
    var box = document.getElementById("search-input") || document.getElementById("header-search-input")
    if (!box) return
    event.preventDefault()
    box.focus()
    box.select()
  })
})()
