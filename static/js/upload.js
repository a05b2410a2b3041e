// Uploads into the folder the object browser shows: file picker, folder picker, drag and drop
// (files and whole folders, keys keep relative paths), one XHR per file with a progress bar.
// Files above data-max-bytes go to window.cosConsoleLargeUpload (the jobs area's resumable
// upload) when it exists; otherwise they are refused with a message, never truncated.
(function () {
  "use strict";
  var PARALLEL = 2;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function browserState() {
    var table = document.getElementById("object-table");
    return { bucket: table.dataset.bucket, prefix: table.dataset.prefix || "" };
  }

  function row(relpath) {
    var item = document.createElement("li");
    item.className = "upload-item";
    var name = document.createElement("code");
    name.className = "key";
    name.textContent = relpath; // textContent: a file name is never HTML
    var bar = document.createElement("span");
    bar.className = "progress";
    var fill = document.createElement("span");
    fill.style.width = "0%";
    bar.appendChild(fill);
    var status = document.createElement("span");
    status.className = "upload-status muted";
    status.textContent = texts().textWaiting;
    item.append(name, " ", bar, " ", status);
    document.getElementById("upload-list").appendChild(item);
    return {
      progress: function (fraction) {
        item.dataset.progressEvents = String(Number(item.dataset.progressEvents || 0) + 1);
        fill.style.width = Math.round(fraction * 100) + "%";
        status.textContent = Math.round(fraction * 100) + "%";
      },
      done: function () {
        fill.style.width = "100%";
        item.classList.add("upload-done");
        status.textContent = texts().textUploaded;
      },
      fail: function (message) {
        item.classList.add("upload-failed");
        status.className = "upload-status flash-error";
        status.textContent = message;
      },
    };
  }

  function texts() {
    return document.getElementById("upload-area").dataset;
  }

  // Every refusal comes back as JSON {"error": message} (the console's one error path).
  function errorText(xhr) {
    try {
      return JSON.parse(xhr.responseText).error || "HTTP " + xhr.status;
    } catch (e) {
      return "HTTP " + xhr.status;
    }
  }

  function sendDirect(url, state, job, ui, finished) {
    var form = new FormData();
    form.append("prefix", state.prefix);
    form.append("relpath", job.relpath);
    form.append("file", job.file, job.file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (event) {
      if (event.lengthComputable) ui.progress(event.loaded / event.total);
    };
    xhr.onload = function () {
      if (xhr.status === 201) ui.done();
      else ui.fail(errorText(xhr));
      finished();
    };
    xhr.onerror = function () {
      ui.fail(texts().textNetwork);
      finished();
    };
    xhr.send(form);
  }

  function sendLarge(state, job, ui, finished, limit) {
    if (typeof window.cosConsoleLargeUpload !== "function") {
      ui.fail(texts().textTooLarge);
      finished();
      return;
    }
    window.cosConsoleLargeUpload(job.file, {
      bucket: state.bucket,
      key: state.prefix + job.relpath,
      onProgress: ui.progress,
      onDone: function () { ui.done(); finished(); },
      onError: function (message) { ui.fail(message); finished(); },
    });
  }

  function uploadAll(jobs) {
    var area = document.getElementById("upload-area");
    if (!area || !jobs.length) return;
    var url = area.dataset.uploadUrl;
    var limit = parseInt(area.dataset.maxBytes, 10);
    var state = browserState();
    var queue = jobs.slice();
    var running = 0;
    var ui = new Map(jobs.map(function (job) { return [job, row(job.relpath)]; }));
    function next() {
      if (!queue.length) {
        if (running === 0) htmx.trigger(document.body, "objects-changed");
        return;
      }
      var job = queue.shift();
      running += 1;
      var finished = function () { running -= 1; next(); };
      if (job.file.size > limit) sendLarge(state, job, ui.get(job), finished, limit);
      else sendDirect(url, state, job, ui.get(job), finished);
    }
    for (var i = 0; i < PARALLEL; i++) next();
  }

  function fromInput(input) {
    return Array.prototype.map.call(input.files, function (file) {
      return { file: file, relpath: file.webkitRelativePath || file.name };
    });
  }

  // Drag and drop of folders: walk directory entries (readEntries returns batches).
  function walk(entry, path, out) {
    if (entry.isFile) {
      return new Promise(function (resolve) {
        entry.file(function (file) { out.push({ file: file, relpath: path + file.name }); resolve(); },
                   function () { resolve(); });
      });
    }
    var reader = entry.createReader();
    return new Promise(function (resolve) {
      var all = [];
      (function more() {
        reader.readEntries(function (batch) {
          if (!batch.length) {
            Promise.all(all.map(function (child) { return walk(child, path + entry.name + "/", out); }))
              .then(resolve);
            return;
          }
          all = all.concat(Array.prototype.slice.call(batch));
          more();
        }, function () { resolve(); });
      })();
    });
  }

  function fromDrop(dataTransfer) {
    var out = [];
    var entries = Array.prototype.map.call(dataTransfer.items || [], function (item) {
      return item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
    }).filter(Boolean);
    if (!entries.length) {
      return Promise.resolve(Array.prototype.map.call(dataTransfer.files, function (file) {
        return { file: file, relpath: file.name };
      }));
    }
    return Promise.all(entries.map(function (entry) { return walk(entry, "", out); }))
      .then(function () { return out; });
  }

  document.addEventListener("change", function (event) {
    if (event.target.id !== "upload-files" && event.target.id !== "upload-folder") return;
    uploadAll(fromInput(event.target));
    event.target.value = "";
  });

  document.addEventListener("dragover", function (event) {
    var area = event.target.closest && event.target.closest("#upload-area");
    if (!area) return;
    event.preventDefault();
    area.classList.add("dragging");
  });
  document.addEventListener("dragleave", function (event) {
    var area = event.target.closest && event.target.closest("#upload-area");
    if (area) area.classList.remove("dragging");
  });
  document.addEventListener("drop", function (event) {
    var area = event.target.closest && event.target.closest("#upload-area");
    if (!area) return;
    event.preventDefault();
    area.classList.remove("dragging");
    fromDrop(event.dataTransfer).then(uploadAll);
  });
})();
