// Resumable, chunked uploads for the dataset page: each file is sent in chunks with
// Content-Range; after a dropped connection the server's offset says where to resume.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var chunkBytes = parseInt(form.dataset.chunk, 10) || 8388608;
  var org = form.dataset.org;
  var list = document.getElementById("upload-list");
  var ingestForm = document.getElementById("ingest-form");
  var headers = {};
  try { headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}"); } catch (e) { headers = {}; }

  function api(method, url, body, extra) {
    var h = Object.assign({}, headers, extra || {});
    return fetch(url, {method: method, headers: h, body: body, credentials: "same-origin"}).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) { throw new Error((data.error && data.error.message) || r.statusText); }
        return data;
      });
    });
  }

  function row(file) {
    var li = document.createElement("li");
    li.className = "upload-item";
    var name = document.createElement("span");
    name.textContent = file.name + " ";
    var bar = document.createElement("progress");
    bar.max = file.size || 1; bar.value = 0;
    var note = document.createElement("span");
    note.className = "small muted upload-note";
    li.appendChild(name); li.appendChild(bar); li.appendChild(note);
    list.appendChild(li);
    return {bar: bar, note: note, li: li};
  }

  function sendFrom(upload, file, offset, view, attempt) {
    if (offset >= file.size) {
      return api("POST", "/api/v1/datasets/uploads/" + upload.id + "/complete", null);
    }
    var end = Math.min(offset + chunkBytes, file.size);
    var range = "bytes " + offset + "-" + (end - 1) + "/" + file.size;
    return api("PUT", "/api/v1/datasets/uploads/" + upload.id, file.slice(offset, end),
               {"Content-Range": range, "Content-Type": "application/octet-stream"})
      .then(function (state) {
        view.bar.value = state.offset;
        view.note.textContent = Math.round(100 * state.offset / (file.size || 1)) + "%";
        return sendFrom(upload, file, state.offset, view, 0);
      }, function (err) {
        if (attempt >= 5) { throw err; }
        // The connection dropped or the chunk was refused: ask where to resume and go on.
        return new Promise(function (ok) { setTimeout(ok, 1000 * (attempt + 1)); })
          .then(function () { return api("GET", "/api/v1/datasets/uploads/" + upload.id, null); })
          .then(function (state) { return sendFrom(upload, file, state.offset, view, attempt + 1); });
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var input = document.getElementById("upload-files");
    var files = Array.prototype.slice.call(input.files);
    var chain = Promise.resolve();
    files.forEach(function (file) {
      chain = chain.then(function () {
        var view = row(file);
        return api("POST", "/api/v1/datasets/uploads", JSON.stringify({name: file.name, size: file.size, org: org}),
                   {"Content-Type": "application/json"})
          .then(function (upload) { return sendFrom(upload, file, upload.offset, view, 0); })
          .then(function (done) {
            view.bar.value = view.bar.max;
            view.note.textContent = "sha256 " + done.sha256.slice(0, 12) + "…";
            view.li.dataset.state = "stored";
            var hidden = document.createElement("input");
            hidden.type = "hidden"; hidden.name = "upload"; hidden.value = done.id;
            ingestForm.appendChild(hidden);
          }, function (err) {
            view.li.dataset.state = "failed";
            view.note.textContent = err.message;
          });
      });
    });
    chain.then(function () { input.value = ""; });
  });
})();
