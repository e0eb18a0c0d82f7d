// Uploads from the case page (issue 27): footage, photos and recordings to a stage, a paper document's scan (PDF).
// The bytes go over the API's tus endpoint with tus-js-client (static/vendor/tus.min.js), resumable: paused, cut off
// or reloaded, the same file chosen again continues where the server's offset stands (tus-js-client keeps the
// upload's address in localStorage under a fingerprint of the file and the form). The SHA-256 is computed first, in
// the browser (hash-wasm, incrementally; Web Crypto for files up to 256 MiB when WebAssembly is unavailable), and
// declared as `sha256`: the server refuses any other bytes. Where neither can run the file goes without a declared
// hash and the server's own SHA-256 stands (the item says so). The session cookie authenticates, with the session's
// CSRF token in X-CSRF-Token. Once complete, the page reads the media id from the upload's status and asks the page
// route (data-target) to bind it to the stage or attach it to the document.
(function () {
  "use strict";
  if (typeof tus === "undefined" || !tus.isSupported) return;
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.content : "";
  const ENDPOINT = "/api/v1/uploads";
  const CHUNK = 8 * 1024 * 1024; // a PATCH per 8 MiB: an interruption loses at most the chunk in flight
  const READ = 4 * 1024 * 1024; // hashing reads the file in 4 MiB slices
  const WEB_CRYPTO_LIMIT = 256 * 1024 * 1024;
  const PREFIX = "rs-upload/";
  const REFUSALS = {
    "sha256-mismatch": "服务器收到的内容与浏览器计算的 SHA-256 不一致，已拒收",
    "upload-too-large": "文件超过允许的最大大小",
    "upload-expired": "上传已过期，请重新上传",
    "session-ended": "登录已失效，请重新登录后继续（已上传的部分会保留）",
    "csrf-failed": "安全校验未通过，请刷新页面后重试",
    "forbidden-role": "您的角色不能上传",
  };

  function size(bytes) {
    if (bytes >= 1 << 30) return (bytes / (1 << 30)).toFixed(1) + " GB";
    if (bytes >= 1 << 20) return (bytes / (1 << 20)).toFixed(1) + " MB";
    return Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  function problemOf(err) {
    const res = err && err.originalResponse;
    if (!res) return null;
    try { return Object.assign({ status: res.getStatus() }, JSON.parse(res.getBody())); } catch (e) { return { status: res.getStatus() }; }
  }

  async function sha256(file, report) {
    if (typeof hashwasm !== "undefined" && typeof WebAssembly !== "undefined") {
      try {
        const hasher = await hashwasm.createSHA256();
        hasher.init();
        for (let at = 0; at < file.size; at += READ) {
          hasher.update(new Uint8Array(await file.slice(at, at + READ).arrayBuffer()));
          report(Math.floor(((at + READ > file.size ? file.size : at + READ) / Math.max(file.size, 1)) * 100));
        }
        return hasher.digest("hex");
      } catch (e) { /* WebAssembly refused: try Web Crypto */ }
    }
    if (window.crypto && crypto.subtle && file.size <= WEB_CRYPTO_LIMIT) {
      const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
      return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    }
    return null;
  }

  async function isPdf(file) {
    const head = new Uint8Array(await file.slice(0, 5).arrayBuffer());
    return String.fromCharCode.apply(null, head) === "%PDF-";
  }

  async function json(url, options) {
    const res = await fetch(url, Object.assign({ credentials: "same-origin", cache: "no-store" }, options));
    let body = null;
    try { body = await res.json(); } catch (e) { /* an error page */ }
    return { ok: res.ok, status: res.status, body: body || {} };
  }

  function button(text, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "link";
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }

  // One file on its way: its line in the list, its tus upload, and what happens when it completes.
  function Item(form, file, kind) {
    this.form = form;
    this.file = file;
    this.kind = kind;
    this.li = document.createElement("li");
    this.li.className = "upload-item";
    const name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name + "（" + size(file.size) + "）";
    this.bar = document.createElement("progress");
    this.bar.max = 100;
    this.bar.value = 0;
    this.bar.setAttribute("aria-label", file.name + " 的上传进度");
    this.state = document.createElement("span");
    this.state.className = "upload-state";
    this.actions = document.createElement("span");
    this.actions.className = "upload-actions";
    this.li.append(name, " ", this.bar, " ", this.state, " ", this.actions);
    form.querySelector(".upload-list").append(this.li);
    this.upload = null;
    this.mediaId = null;
  }

  Item.prototype.show = function (text, cls, percent) {
    this.state.textContent = text;
    this.li.dataset.state = cls;
    if (percent !== undefined) this.bar.value = percent;
  };

  Item.prototype.offer = function (...choices) {
    this.actions.replaceChildren(...choices);
  };

  Item.prototype.metadata = function (digest) {
    const data = { filename: this.file.name };
    const type = this.kind === "scan" ? "application/pdf" : this.file.type;
    if (type) data.content_type = type;
    if (digest) data.sha256 = digest;
    if (this.kind === "media") {
      const officers = Array.from(this.form.querySelectorAll('input[name="officer_ids"]:checked'), (i) => i.value);
      if (officers.length) data.officer_ids = officers.join(",");
      const device = this.form.querySelector('input[name="device_id"]');
      if (device && device.value.trim()) data.device_id = device.value.trim();
    }
    // The file's modification time is not the recording time (a copy or a transfer changes it): it goes as a
    // plain extra field for the record; the recording time is read from the file itself by the service's probe.
    if (this.file.lastModified) data.file_modified_at = new Date(this.file.lastModified).toISOString();
    return data;
  };

  Item.prototype.begin = async function () {
    const item = this;
    const key = this.form.dataset.key;
    const upload = new tus.Upload(this.file, {
      endpoint: ENDPOINT,
      chunkSize: CHUNK,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      headers: { "X-CSRF-Token": csrf },
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      fingerprint: (file) => Promise.resolve([PREFIX + key, file.name, file.type, file.size, file.lastModified].join("/")),
      metadata: {},
      onProgress: (sent, total) => {
        const percent = total ? Math.floor((sent / total) * 100) : 0;
        item.show("上传中 " + percent + "%", "uploading", percent);
      },
      onError: (err) => item.failed(err),
      onSuccess: () => item.completed(),
    });
    this.upload = upload;
    const previous = await upload.findPreviousUploads();
    if (previous.length) {
      // The same file of the same form was started before (this page or before a reload): continue it.
      upload.resumeFromPreviousUpload(previous[0]);
      upload.options.metadata = previous[0].metadata || {};
      this.show("继续上传…", "uploading");
    } else {
      this.show("计算校验值…", "hashing", 0);
      const digest = await sha256(this.file, (p) => item.show("计算校验值 " + p + "%", "hashing"));
      if (!digest) this.li.title = "浏览器未能计算 SHA-256（不支持 WebAssembly，文件又过大）：以服务器计算的 SHA-256 为准。";
      this.digest = digest;
      upload.options.metadata = this.metadata(digest);
    }
    this.running();
    upload.start();
    forgetShown();
  };

  Item.prototype.running = function () {
    const item = this;
    this.offer(button("暂停", () => {
      item.upload.abort();
      item.show("已暂停", "paused");
      item.offer(button("继续", () => { item.running(); item.upload.start(); }));
    }));
  };

  Item.prototype.failed = function (err) {
    const problem = problemOf(err) || {};
    // tus's own status for a checksum refused (460) is the declared SHA-256 when the body is not at hand.
    const code = problem.type ? String(problem.type).split(":").pop() : (problem.status === 460 ? "sha256-mismatch" : "");
    const why = REFUSALS[code] || problem.detail_zh || (problem.status ? "服务器拒绝（" + problem.status + "）" : "网络中断");
    this.show("失败 — " + why, "failed");
    const item = this;
    const fresh = code === "sha256-mismatch" || code === "upload-expired";
    this.offer(button("重试", async () => {
      if (fresh) {
        await item.upload.abort(false);
        const previous = await item.upload.findPreviousUploads();
        previous.forEach((p) => tus.defaultOptions.urlStorage.removeUpload(p.urlStorageKey));
        item.upload.url = null;
        item.begin();
      } else {
        item.running();
        item.upload.start();
      }
    }));
  };

  Item.prototype.completed = async function () {
    this.show("上传完成，正在关联…", "linking", 100);
    this.offer();
    const status = await json(this.upload.url, { headers: { "X-CSRF-Token": csrf, Accept: "application/json" } });
    if (!status.ok || !status.body.media_id) {
      this.show("失败 — 未能读取上传结果", "failed");
      this.offer(button("重试", () => this.completed()));
      return;
    }
    this.mediaId = status.body.media_id;
    this.link(status.body.sha256);
  };

  Item.prototype.link = async function (digest) {
    const answer = await json(this.form.dataset.target, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ media_id: this.mediaId }),
    });
    if (!answer.ok) {
      this.show("失败 — " + (answer.body.detail || "关联未成功（" + answer.status + "）"), "failed");
      this.offer(button("重试", () => this.link(digest)));
      return;
    }
    const where = this.kind === "scan" ? "已作为扫描件附于文书" : "已关联到本环节";
    this.show("已完成 · " + where, "done", 100);
    this.li.dataset.mediaId = this.mediaId;
    this.li.dataset.sha256 = digest || "";
    const open = document.createElement("a");
    open.href = "/footage/" + this.mediaId;
    open.textContent = "查看";
    const hash = document.createElement("code");
    hash.textContent = "SHA-256 " + (digest || "").slice(0, 16) + "…";
    hash.title = digest || "";
    this.offer(hash, " ", open);
    this.li.dataset.done = "1";
    // The stage's list is drawn by the server: once this form has nothing left in flight, offer to redraw it.
    const pending = this.form.querySelectorAll(".upload-list li:not([data-done])").length;
    let refresh = this.form.querySelector(".upload-refresh");
    if (!pending && !refresh) {
      refresh = document.createElement("p");
      refresh.className = "upload-refresh";
      const again = document.createElement("a");
      again.href = window.location.pathname + window.location.search;
      again.textContent = "刷新页面，在本环节的音像列表中显示";
      refresh.append("上传均已完成。", again);
      this.form.append(refresh);
    }
  };

  function start(form, kind, files) {
    Array.from(files).forEach(async (file) => {
      const item = new Item(form, file, kind);
      if (kind === "scan" && !(await isPdf(file))) {
        item.show("失败 — 所选文件不是 PDF（扫描件须为 PDF 文件）", "failed");
        return;
      }
      item.begin().catch((e) => item.show("失败 — " + (e && e.message ? e.message : "无法读取文件"), "failed"));
    });
  }

  document.querySelectorAll(".upload-form").forEach((form) => {
    const input = form.querySelector('input[type="file"]');
    const kind = form.dataset.upload;
    input.addEventListener("change", () => {
      if (input.files.length) start(form, kind, input.files);
      input.value = "";
    });
  });

  // Uploads of this case left unfinished (a reload, a closed tab): say which, and where to choose them again.
  function forgetShown() {
    const box = document.getElementById("unfinished-uploads");
    if (box) listUnfinished(box);
  }

  async function listUnfinished(box) {
    const storage = tus.defaultOptions.urlStorage;
    if (!storage || !storage.findAllUploads) return;
    const caseId = window.location.pathname.split("/").pop();
    const all = await storage.findAllUploads();
    const running = new Set(Array.from(document.querySelectorAll(".upload-item")).map((li) => li.querySelector(".upload-name").textContent));
    const mine = all.filter((u) => String(u.urlStorageKey).indexOf("tus::" + PREFIX + caseId + "/") === 0);
    const list = box.querySelector("ul");
    list.replaceChildren();
    mine.forEach((u) => {
      const name = (u.metadata && u.metadata.filename) || "文件";
      if (running.has(name + "（" + size(u.size) + "）")) return;
      const where = String(u.urlStorageKey).slice(("tus::" + PREFIX + caseId + "/").length).split("/");
      const form = document.querySelector('.upload-form[data-key="' + caseId + "/" + where[0] + "/" + where[1] + '"]');
      const li = document.createElement("li");
      li.className = "unfinished";
      li.textContent = name + "（" + size(u.size) + "）";
      if (form) {
        li.append(" · ", button("重新选择此文件继续", () => {
          const box = form.closest("details");
          if (box) box.open = true;
          form.querySelector('input[type="file"]').click();
        }));
      }
      list.append(li);
    });
    box.hidden = list.children.length === 0;
  }

  forgetShown();
})();
