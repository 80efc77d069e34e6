/* On every page: "/" focuses the search box, unless the reader is typing somewhere. */
;(function () {
  "use strict"
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
