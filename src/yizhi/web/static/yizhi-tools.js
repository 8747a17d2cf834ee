// Small page helpers, wired by data attributes (the strict CSP allows no inline script):
//   <button data-copy="#id" data-done="Copied">      copies the element's text to the clipboard
//   <button data-download="#id" data-filename="x.txt"> saves the element's text as a file
//   <form data-upload-progress="#progress-id">          sends the form with a progress bar
(function () {
  "use strict";

  function textOf(selector) {
    var element = document.querySelector(selector);
    return element ? element.textContent : "";
  }

  function flash(button) {
    var label = button.textContent;
    button.textContent = button.getAttribute("data-done") || label;
    button.setAttribute("data-copied", "yes");
    window.setTimeout(function () { button.textContent = label; }, 1500);
  }

  function copy(button) {
    var text = textOf(button.getAttribute("data-copy"));
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { flash(button); });
      return;
    }
    // Plain http on a LAN address: the older route through a hidden text area.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); flash(button); } finally { document.body.removeChild(area); }
  }

  function download(button) {
    var blob = new Blob([textOf(button.getAttribute("data-download"))], {type: "text/plain;charset=utf-8"});
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = button.getAttribute("data-filename") || "download.txt";
    document.body.appendChild(link);
    link.click();
    window.setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 0);
  }

  function sendWithProgress(form, event) {
    var bar = document.querySelector(form.getAttribute("data-upload-progress"));
    if (!bar || !window.XMLHttpRequest || !window.FormData) { return; }  // the plain form post still works
    event.preventDefault();
    var request = new XMLHttpRequest();
    var fill = bar.querySelector("div");
    var label = bar.parentElement.querySelector("[data-progress-label]");
    bar.hidden = false;
    if (label) { label.hidden = false; }
    Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (b) { b.disabled = true; });
    request.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) { return; }
      var percent = Math.round(100 * e.loaded / e.total);
      fill.style.width = percent + "%";
      bar.setAttribute("aria-valuenow", String(percent));
      if (label) { label.textContent = percent + "%"; }
    });
    request.addEventListener("load", function () {
      if (request.status < 400 && request.responseURL && request.responseURL !== form.action) {
        window.location.assign(request.responseURL);  // followed the redirect to the job
        return;
      }
      document.open();  // the page the server answered (an error shown in the reader's language)
      document.write(request.responseText);
      document.close();
    });
    request.addEventListener("error", function () { form.submit(); });
    request.open(form.method || "POST", form.action);
    request.send(new FormData(form));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy], [data-download]");
    if (!button) { return; }
    event.preventDefault();
    if (button.hasAttribute("data-copy")) { copy(button); } else { download(button); }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute && form.hasAttribute("data-upload-progress")) { sendWithProgress(form, event); }
  });
})();
