// recording_service pages: playback through audited grants, a zoomable photo viewer, PDFs in the browser's own
// viewer, copy buttons, print. Plain JS, no build step.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]');
  const video = document.getElementById("player");
  const caption = document.getElementById("player-caption");
  const clock = document.getElementById("player-clock");
  let recordedStart = null;  // the wall-clock time at `segmentOffset` seconds into the file
  let segmentOffset = 0;
  const viewer = document.getElementById("viewer");
  const documentView = document.getElementById("document-view");

  // --- the photo viewer: the picture is moved and scaled by one CSS transform ---------------------------------
  const photo = viewer ? {
    stage: document.getElementById("viewer-stage"),
    image: document.getElementById("viewer-image"),
    label: document.getElementById("viewer-scale"),
    scale: 1, x: 0, y: 0, fit: 1,
    pointers: new Map(), pinch: null,
  } : null;
  const MAX_SCALE = 8;

  function applyTransform() {
    photo.image.style.transform = "translate(" + photo.x.toFixed(1) + "px, " + photo.y.toFixed(1) + "px) scale(" + photo.scale.toFixed(4) + ")";
    photo.label.textContent = Math.round(photo.scale * 100) + "%";
    photo.stage.dataset.scale = photo.scale.toFixed(4);
  }
  function fitPhoto() {
    const box = photo.stage.getBoundingClientRect();
    const w = photo.image.naturalWidth, h = photo.image.naturalHeight;
    if (!w || !h || !box.width || !box.height) return;
    photo.fit = Math.min(box.width / w, box.height / h, 1);
    photo.scale = photo.fit;
    photo.x = (box.width - w * photo.scale) / 2;
    photo.y = (box.height - h * photo.scale) / 2;
    applyTransform();
  }
  function zoomAt(factor, cx, cy) {
    const next = Math.min(MAX_SCALE, Math.max(photo.fit / 2, photo.scale * factor));
    photo.x = cx - (cx - photo.x) * (next / photo.scale);
    photo.y = cy - (cy - photo.y) * (next / photo.scale);
    photo.scale = next;
    applyTransform();
  }
  function zoomCentre(factor) {
    const box = photo.stage.getBoundingClientRect();
    zoomAt(factor, box.width / 2, box.height / 2);
  }
  function actualSize() {
    const box = photo.stage.getBoundingClientRect();
    zoomAt(1 / photo.scale, box.width / 2, box.height / 2);
  }
  function pan(dx, dy) { photo.x += dx; photo.y += dy; applyTransform(); }
  function local(event) {
    const box = photo.stage.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  }
  if (photo) {
    photo.image.addEventListener("load", fitPhoto);
    photo.image.addEventListener("error", function () {
      if (photo.image.getAttribute("src")) caption.textContent = "无法显示这张照片（数据损坏或链接已过期），请重新点击查看。";
    });
    photo.stage.addEventListener("wheel", function (event) {
      event.preventDefault();
      const at = local(event);
      zoomAt(event.deltaY < 0 ? 1.25 : 0.8, at.x, at.y);
    }, { passive: false });
    photo.stage.addEventListener("pointerdown", function (event) {
      photo.stage.setPointerCapture(event.pointerId);
      photo.pointers.set(event.pointerId, local(event));
      photo.stage.classList.add("dragging");
    });
    photo.stage.addEventListener("pointermove", function (event) {
      const before = photo.pointers.get(event.pointerId);
      if (!before) return;
      const now = local(event);
      photo.pointers.set(event.pointerId, now);
      if (photo.pointers.size === 1) { pan(now.x - before.x, now.y - before.y); return; }
      const [a, b] = Array.from(photo.pointers.values());
      const distance = Math.hypot(a.x - b.x, a.y - b.y);
      if (photo.pinch) zoomAt(distance / photo.pinch, (a.x + b.x) / 2, (a.y + b.y) / 2);
      photo.pinch = distance;
    });
    const release = function (event) {
      photo.pointers.delete(event.pointerId);
      photo.pinch = null;
      if (!photo.pointers.size) photo.stage.classList.remove("dragging");
    };
    photo.stage.addEventListener("pointerup", release);
    photo.stage.addEventListener("pointercancel", release);
    photo.stage.addEventListener("dblclick", function (event) { const at = local(event); zoomAt(2, at.x, at.y); });
    photo.stage.addEventListener("keydown", function (event) {
      const step = 40;
      const keys = {
        "+": function () { zoomCentre(1.25); }, "=": function () { zoomCentre(1.25); }, "-": function () { zoomCentre(0.8); },
        "0": fitPhoto, "1": actualSize,
        ArrowLeft: function () { pan(step, 0); }, ArrowRight: function () { pan(-step, 0); },
        ArrowUp: function () { pan(0, step); }, ArrowDown: function () { pan(0, -step); },
      };
      const act = keys[event.key];
      if (act) { event.preventDefault(); act(); }
    });
    viewer.querySelector(".viewer-tools").addEventListener("click", function (event) {
      const button = event.target.closest("[data-zoom]");
      if (!button) return;
      ({ "in": function () { zoomCentre(1.25); }, "out": function () { zoomCentre(0.8); }, fit: fitPhoto, actual: actualSize })[button.dataset.zoom]();
    });
    window.addEventListener("resize", function () { if (!viewer.hidden) fitPhoto(); });
  }

  // Which of the panel's viewers shows: the video element, the photo viewer or the document frame.
  function show(which) {
    if (video) {
      video.hidden = which !== "video";
      if (which !== "video" && video.getAttribute("src")) { video.pause(); video.removeAttribute("src"); video.load(); }
    }
    if (viewer) viewer.hidden = which !== "image";
    if (documentView) {
      documentView.hidden = which !== "document";
      if (which !== "document") document.getElementById("document-frame").removeAttribute("src");
    }
    if (clock && which !== "video") clock.textContent = "";
  }

  function showPhoto(button, grant) {
    show("image");
    const taken = button.dataset.start ? new Date(button.dataset.start) : null;
    const stage = button.dataset.stage ? "环节：" + button.dataset.stage + " · " : "";
    caption.textContent = stage + "照片" + (taken ? " · 拍摄时间 " + wallClock(taken) : " · 拍摄时间未知") +
      (grant.source === "viewing_copy" ? " · 显示的是查看副本（原件过大或格式浏览器不支持，原件不变）" : "") +
      " · 滚轮或双指缩放、拖动移动，或用加减键、方向键" + (grant.warning ? " · " + grant.warning : "");
    photo.scale = 1; photo.x = 0; photo.y = 0;
    photo.image.alt = "照片" + (taken ? "，拍摄于 " + wallClock(taken) : "");
    photo.image.src = grant.url;
    document.getElementById("viewer-open").href = grant.url;
    photo.stage.focus({ preventScroll: true });
  }

  function showDocument(button, grant) {
    show("document");
    const frame = document.getElementById("document-frame");
    frame.src = grant.url;
    document.getElementById("document-open").href = grant.url;
    document.getElementById("document-hash").textContent = "SHA-256 " + (grant.sha256 || button.dataset.sha256 || "");
    const stage = button.dataset.stage ? "环节：" + button.dataset.stage + " · " : "";
    caption.textContent = stage + "PDF 文件（浏览器内置阅读器显示，原件不变）" + (grant.warning ? " · " + grant.warning : "");
  }

  function pad(n) { return String(n).padStart(2, "0"); }
  function wallClock(date) {
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + " " +
      pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds());
  }

  async function play(button) {
    const mediaId = button.dataset.play;
    const offset = parseFloat(button.dataset.offset || "0") || 0;
    caption.textContent = button.dataset.kind === "image" || button.dataset.kind === "document" ? "正在申请查看授权…" : "正在申请播放授权…";
    let response;
    try {
      response = await fetch("/footage/" + encodeURIComponent(mediaId) + "/play", {
        method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf ? csrf.content : "" } });
    } catch (e) {
      caption.textContent = "无法连接服务，请稍后重试。";
      return;
    }
    if (!response.ok) {
      const still = button.dataset.kind === "image";
      caption.textContent = response.status === 410 ? "这段音像已按保存期限删除，无法播放。"
        : response.status === 409 ? (still ? "这张照片的格式浏览器无法直接显示，查看副本正在生成，请稍后再试（原件不受影响）。"
          : "这段音像的编码浏览器无法直接播放，可播放的副本正在生成，请稍后再试（原件不受影响）。")
        : "无法播放（" + response.status + "），请刷新页面后重试。";
      return;
    }
    const grant = await response.json();
    document.querySelectorAll(".clip.playing").forEach(function (el) { el.classList.remove("playing"); });
    const clip = button.closest(".clip");
    if (clip) clip.classList.add("playing");
    if (grant.kind === "image" && photo) { showPhoto(button, grant); return; }
    if (grant.kind === "document" && documentView) { showDocument(button, grant); return; }
    show("video");
    recordedStart = button.dataset.start ? new Date(button.dataset.start) : null;
    segmentOffset = offset;
    const stage = button.dataset.stage ? "环节：" + button.dataset.stage + " · " : "";
    const officers = button.dataset.officers ? "执法人员：" + button.dataset.officers + " · " : "";
    const started = recordedStart ? "录制开始 " + wallClock(recordedStart) : "录制时间未知";
    caption.textContent = stage + officers + started + (offset ? " · 从片段起点（第 " + Math.round(offset) + " 秒）播放" : "") +
      (grant.source === "playback_copy" ? " · 播放的是转码副本（原件为 H.265 等浏览器不支持的编码）" : "") +
      " · 授权至 " + grant.expires_at.slice(11, 16) + (grant.warning ? " · " + grant.warning : "");
    video.dataset.grant = grant.grant_id;
    video.src = grant.url;
    video.addEventListener("loadedmetadata", function seek() {
      video.removeEventListener("loadedmetadata", seek);
      if (offset > 0 && offset < video.duration) video.currentTime = offset;
      video.play().catch(function () { /* autoplay refused: the controls are there */ });
    });
  }

  if (video) {
    video.addEventListener("timeupdate", function () {
      if (!clock) return;
      const position = "播放位置 " + video.currentTime.toFixed(1) + " 秒";
      clock.textContent = recordedStart
        ? position + " · 现场时间 " + wallClock(new Date(recordedStart.getTime() + (video.currentTime - segmentOffset) * 1000))
        : position;
    });
    video.addEventListener("error", function () {
      if (caption && video.getAttribute("src")) caption.textContent = "浏览器无法播放这段音像（编码不受支持或链接已过期），请重新点击播放。";
    });
  }
  document.addEventListener("click", function (event) {
    const playButton = event.target.closest("[data-play]");
    if (playButton && video) { event.preventDefault(); play(playButton); return; }
    const copyButton = event.target.closest("[data-copy]");
    if (copyButton) {
      const text = copyButton.dataset.copy;
      const done = function () { copyButton.textContent = "已复制"; setTimeout(function () { copyButton.textContent = "复制"; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, done);
      else { const area = document.createElement("textarea"); area.value = text; document.body.appendChild(area); area.select();
        document.execCommand("copy"); area.remove(); done(); }
      return;
    }
    if (event.target.closest("[data-print]")) window.print();
  });

  // 适老化: the button is a link (the service sets the cookie and sends the reader back, no script needed); here the
  // page changes at once and the cookie is set in place, so nothing reloads.
  const root = document.documentElement;
  function toggleDisplay(button) {
    const large = !root.classList.contains("large-text");
    root.classList.toggle("large-text", large);
    document.cookie = "rs_display=" + (large ? "large; max-age=31536000" : "; max-age=0") + "; path=/; samesite=lax" +
      (location.protocol === "https:" ? "; secure" : "");
    button.setAttribute("aria-pressed", large ? "true" : "false");
    button.href = button.href.replace(/([?&]large=)[01]/, "$1" + (large ? "0" : "1"));
    scrollables();
  }
  document.addEventListener("click", function (event) {
    const button = event.target.closest("a.display-toggle");
    if (button && !event.ctrlKey && !event.metaKey && !event.shiftKey) { event.preventDefault(); toggleDisplay(button); }
  });
  document.addEventListener("keydown", function (event) {  // a button answers the space bar as well as Enter
    const button = event.target.closest && event.target.closest("a.display-toggle");
    if (button && event.key === " ") { event.preventDefault(); toggleDisplay(button); }
  });

  // A table or chart that scrolls inside its own box on a narrow screen, with nothing in it the keyboard can reach, is
  // made reachable, so its hidden columns can be scrolled into view with the arrow keys.
  const FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]";
  function scrollables() {
    document.querySelectorAll("main table, main .stat-chart, main .stat-table, main .flowchart-box").forEach(function (box) {
      const scrolls = box.scrollWidth > box.clientWidth + 1 && getComputedStyle(box).overflowX !== "visible";
      if (scrolls && !box.hasAttribute("tabindex") && !box.querySelector(FOCUSABLE)) {
        box.setAttribute("tabindex", "0");
        box.dataset.scrollFocus = "1";
        if (box.tagName !== "TABLE") {  // a named region: the chart's own name, or its section's heading
          const chart = box.querySelector("[aria-label]");
          const section = box.closest("section");
          const heading = section && section.querySelector("h2, h3");
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", chart ? chart.getAttribute("aria-label") : heading ? heading.textContent.trim() : "可左右滚动的内容");
        }
      } else if (!scrolls && box.dataset.scrollFocus) {
        box.removeAttribute("tabindex");
        if (box.tagName !== "TABLE") { box.removeAttribute("role"); box.removeAttribute("aria-label"); }
        delete box.dataset.scrollFocus;
      }
    });
  }
  scrollables();
  let resizing = null;
  window.addEventListener("resize", function () { clearTimeout(resizing); resizing = setTimeout(scrollables, 150); });
})();
