// Large uploads in chunks (jobs area, issue 6). upload.js calls
//   window.cosConsoleLargeUpload(file, {bucket, key, onProgress(fraction), onDone(), onError(message)})
// for files above CONSOLE_DIRECT_UPLOAD_MAX_BYTES. The server keeps the chunks on disk and tells us
// how many it has, so after a reload, a network drop or a new login the user picks the same file
// again and only the missing chunks are sent. A worker then uploads the file to COS.
(function () {
  "use strict";

  const RETRIES = 5;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function sleep(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  async function call(method, url, body, headers) {
    const response = await fetch(url, {
      method: method,
      body: body,
      headers: Object.assign({"X-CSRFToken": csrfToken(), "Accept": "application/json"}, headers || {}),
      credentials: "same-origin",
      redirect: "manual",
    });
    if (response.type === "opaqueredirect" || response.status === 401) {
      const expired = new Error(
        "Your session expired: log in again and pick the same file to resume the upload.");
      expired.final = true;
      throw expired;
    }
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (!response.ok) {
      const error = new Error(data.error || "Upload failed (HTTP " + response.status + ").");
      error.status = response.status;
      error.final = response.status < 500;
      throw error;
    }
    return data;
  }

  // Retry transient failures (network drops, 5xx) with backoff; 4xx answers are final.
  async function withRetries(fn) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (error.final || attempt >= RETRIES) throw error;
        await sleep(Math.min(8000, 500 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2));
      }
    }
  }

  // Up to `state.ahead` chunks are on the way at once: the server receives them in parallel and
  // counts them in order. A refusal (409: out of step with the server, after another tab or a
  // lost response) stops the window; the server then says where it stands and sending resumes.
  async function sendChunks(file, state, onProgress) {
    const chunkSize = state.chunk_size;
    const ahead = Math.max(1, state.ahead || 1);
    const running = new Map();  // index -> promise of {index, state} or {index, error}, never rejects
    let latest = state;
    let next = state.received;
    let refusals = 0;

    function launch(index) {
      const blob = file.slice(index * chunkSize, Math.min(file.size, (index + 1) * chunkSize));
      const url = "/uploads/" + state.job_id + "/chunks/" + index;
      running.set(index, withRetries(function () {
        return call("PUT", url, blob, {"Content-Type": "application/octet-stream"});
      }).then(
        function (answer) { return {index: index, state: answer}; },
        function (error) { return {index: index, error: error}; }
      ));
    }

    for (;;) {
      while (!latest.terminal && next < latest.chunks && running.size < ahead) launch(next++);
      if (running.size === 0) return latest;
      const done = await Promise.race(running.values());
      running.delete(done.index);
      if (!done.error) {
        if (done.state.received > latest.received || done.state.terminal) latest = done.state;
        refusals = 0;
        onProgress(progressOf(latest));
        continue;
      }
      await Promise.all(running.values());  // let the rest of the window settle
      running.clear();
      if (done.error.status !== 409) throw done.error;
      const jobId = state.job_id;
      const where = await withRetries(function () { return call("GET", "/uploads/" + jobId + "/"); });
      if (where.terminal) return where;
      // Refused again at the very chunk the server asks for: stop instead of looping.
      if (where.received <= latest.received && ++refusals >= RETRIES) throw done.error;
      if (where.received <= latest.received) await sleep(500 * refusals);
      latest = where;
      next = where.received;
      onProgress(progressOf(latest));
    }
  }

  // The worker sends parts to COS while chunks are still arriving, so the bar is half what
  // this browser has sent and half what COS already holds.
  function progressOf(state) {
    const sent = state.chunks ? state.received / state.chunks : 0;
    const stored = state.bytes_total ? state.bytes_done / state.bytes_total : 0;
    return Math.min(0.5 * sent + 0.5 * stored, 0.99);
  }

  async function waitForJob(state, onProgress) {
    while (!state.terminal) {
      await sleep(1000);
      state = await withRetries(function () { return call("GET", "/uploads/" + state.job_id + "/"); });
      onProgress(progressOf(state));
    }
    return state;
  }

  async function upload(file, options) {
    const onProgress = options.onProgress || function () {};
    const form = new FormData();
    form.append("key", options.key);
    form.append("size", String(file.size));
    form.append("fingerprint", [file.name, file.size, file.lastModified].join(":"));
    let state = await withRetries(function () {
      return call("POST", "/b/" + encodeURIComponent(options.bucket) + "/large-upload/", form);
    });
    onProgress(progressOf(state));
    state = await sendChunks(file, state, onProgress);
    // Running now: wake the object browser's job notices (they poll only while a job runs).
    document.body.dispatchEvent(new Event("cos-job-started"));
    state = await waitForJob(state, onProgress);
    if (state.state !== "succeeded") {
      throw new Error(state.error || "The upload ended: " + state.state + ".");
    }
    onProgress(1);
  }

  window.cosConsoleLargeUpload = function (file, options) {
    upload(file, options).then(
      function () { if (options.onDone) options.onDone(); },
      function (error) { if (options.onError) options.onError(error.message || String(error)); }
    );
  };
})();
