/* Upload progress for evidence files, driven by htmx's xhr:progress events.
   No inline script (the CSP forbids it); without JavaScript the form posts as a
   normal form and the page says to keep it open. */
(function () {
  "use strict";

  function parts(form) {
    return {
      box: form.querySelector("[data-upload-progress]"),
      bar: form.querySelector("[data-upload-progress] progress"),
      label: form.querySelector("[data-upload-progress] [data-upload-status]"),
      button: form.querySelector("button[type=submit], button:not([type])")
    };
  }

  function uploadForm(event) {
    /* beforeSwap fires on the swap target (the panel): its request config names
       the form. The other events fire on the form itself. */
    var config = event.detail && event.detail.requestConfig;
    var el = (config && config.elt) || event.target;
    return el && el.matches && el.matches("form[data-upload]") ? el : null;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = uploadForm(event);
    if (!form) { return; }
    var p = parts(form);
    form.dataset.uploadTotal = "0";
    p.box.hidden = false;
    p.bar.value = 0;
    p.label.textContent = form.dataset.textSending;
    if (p.button) { p.button.disabled = true; }
  });

  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = uploadForm(event);
    if (!form || !event.detail.lengthComputable) { return; }
    var total = event.detail.total, seen = Number(form.dataset.uploadTotal || 0);
    /* The same event also reports the (small) answer being downloaded: follow
       only the largest transfer, which is the file going up. */
    if (total < seen) { return; }
    form.dataset.uploadTotal = String(total);
    var p = parts(form), percent = Math.floor(100 * event.detail.loaded / total);
    p.bar.max = 100;
    p.bar.value = percent;
    p.label.textContent = percent >= 100 ? form.dataset.textChecking
      : form.dataset.textSending + " " + percent + " %";
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    /* A refused file (400, 413) comes back as the form with the reason: show it. */
    var form = uploadForm(event);
    var status = event.detail.xhr.status;
    if (form && (status === 400 || status === 413)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:sendError", function (event) {
    var form = uploadForm(event);
    if (!form) { return; }
    var p = parts(form);
    p.label.textContent = form.dataset.textFailed;
    if (p.button) { p.button.disabled = false; }
  });
})();
