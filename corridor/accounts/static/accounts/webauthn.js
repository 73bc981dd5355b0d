/* Corridor: the WebAuthn ceremony for security-key forms (the only script it needs).
 *
 * A form marked data-webauthn="create" or "get" carries the server's options in
 * data-options (JSON). On submit this asks the browser for the key, writes the answer
 * into the form's hidden "credential" field and submits the form as usual; the server
 * verifies everything. No inline script, no eval, nothing fetched from elsewhere.
 */
(function () {
  "use strict";

  function toBuffer(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function decodeIds(list) {
    (list || []).forEach(function (item) { item.id = toBuffer(item.id); });
  }

  function encode(credential) {
    var r = credential.response;
    var out = {
      id: credential.id, rawId: toText(credential.rawId), type: credential.type,
      response: { clientDataJSON: toText(r.clientDataJSON) },
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {}
    };
    if (credential.authenticatorAttachment) { out.authenticatorAttachment = credential.authenticatorAttachment; }
    if (r.attestationObject) {
      out.response.attestationObject = toText(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = toText(r.authenticatorData);
      out.response.signature = toText(r.signature);
      if (r.userHandle) { out.response.userHandle = toText(r.userHandle); }
    }
    return out;
  }

  function say(form, key) {
    var place = form.querySelector("[data-webauthn-status]");
    if (place) { place.textContent = form.getAttribute("data-" + key) || ""; place.hidden = false; }
  }

  function setUp(form) {
    var field = form.querySelector("input[name=credential]");
    if (!field) { return; }
    form.hidden = false;  /* hidden until this script runs: without it the form cannot work */
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say(form, "unsupported");
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      return;
    }
    var busy = false;
    form.addEventListener("submit", function (event) {
      if (field.value) { return; }
      event.preventDefault();
      if (busy) { return; }
      busy = true;
      var options = JSON.parse(form.getAttribute("data-options"));
      options.challenge = toBuffer(options.challenge);
      var asked;
      if (form.getAttribute("data-webauthn") === "create") {
        options.user.id = toBuffer(options.user.id);
        decodeIds(options.excludeCredentials);
        asked = navigator.credentials.create({ publicKey: options });
      } else {
        decodeIds(options.allowCredentials);
        asked = navigator.credentials.get({ publicKey: options });
      }
      say(form, "waiting");
      asked.then(function (credential) {
        field.value = JSON.stringify(encode(credential));
        form.submit();
      }, function () {
        busy = false;
        say(form, "failed");
      });
    });
  }

  document.querySelectorAll("form[data-webauthn]").forEach(setUp);
})();
