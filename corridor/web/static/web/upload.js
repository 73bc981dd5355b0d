/* Upload progress for every form that sends files (form[data-upload]).

   The form is sent by XMLHttpRequest so the browser can report how much has gone
   up; the answer (the next page, the form with its errors, or the page a redirect
   led to) then replaces this document, as a normal submission would. No inline
   script (the CSP forbids it) and no htmx, so the public pages can use it too.
   Without JavaScript, or with no file chosen, the form posts as a plain form. */
(function () {
  "use strict";
  if (!window.FormData || !window.XMLHttpRequest || !window.history) { return; }

  function chosenFiles(form) {
    return Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (input) {
      return input.files && input.files.length > 0;
    });
  }

  function formData(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    return data;
  }

  function report(form, box, percent) {
    var bar = box.querySelector("progress"), label = box.querySelector("[data-upload-status]");
    bar.max = 100;
    bar.value = percent;
    label.textContent = percent >= 100 ? box.dataset.textChecking : box.dataset.textSending + " " + percent + " %";
    form.dispatchEvent(new CustomEvent("corridor:upload-progress", {bubbles: true, detail: {percent: percent}}));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.matches || !form.matches("form[data-upload]")) { return; }
    var box = form.querySelector("[data-upload-progress]");
    if (!box || !chosenFiles(form)) { return; }
    event.preventDefault();
    var buttons = form.querySelectorAll("button, input[type=submit]");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { report(form, box, Math.floor(100 * e.loaded / e.total)); }
    });
    xhr.addEventListener("load", function () {
      /* Whatever came back is the next page: show it where the form was. */
      if (xhr.responseURL) { window.history.replaceState(null, "", xhr.responseURL); }
      document.open();
      document.write(xhr.responseText);
      document.close();
    });
    xhr.addEventListener("error", function () {
      box.querySelector("[data-upload-status]").textContent = box.dataset.textFailed;
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
    });
    var data = formData(form, event.submitter);
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    box.hidden = false;
    report(form, box, 0);
    xhr.send(data);
  });
})();
