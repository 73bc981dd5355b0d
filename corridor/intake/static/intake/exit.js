// Quick exit, enhanced: replace this page in the history (the Back button will not
// return here), blank it at once, and let Escape do the same. Without JavaScript
// the button is an ordinary link to the same harmless page.
(function () {
  "use strict";
  function leave(url) {
    document.documentElement.style.visibility = "hidden";
    try { document.title = ""; } catch (e) { /* ignore */ }
    window.location.replace(url);
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-quick-exit]") : null;
    if (link) { event.preventDefault(); leave(link.href); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var link = document.querySelector("a[data-quick-exit]");
      if (link) { leave(link.href); }
    }
  });
})();
