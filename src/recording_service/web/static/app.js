// recording_service pages: playback through audited grants, copy buttons, print. Plain JS, no build step.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]');
  const video = document.getElementById("player");
  const caption = document.getElementById("player-caption");
  const clock = document.getElementById("player-clock");
  let recordedStart = null;  // the wall-clock time at `segmentOffset` seconds into the file
  let segmentOffset = 0;

  function pad(n) { return String(n).padStart(2, "0"); }
  function wallClock(date) {
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + " " +
      pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds());
  }

  async function play(button) {
    const mediaId = button.dataset.play;
    const offset = parseFloat(button.dataset.offset || "0") || 0;
    caption.textContent = "正在申请播放授权…";
    let response;
    try {
      response = await fetch("/footage/" + encodeURIComponent(mediaId) + "/play", {
        method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf ? csrf.content : "" } });
    } catch (e) {
      caption.textContent = "无法连接服务，请稍后重试。";
      return;
    }
    if (!response.ok) {
      caption.textContent = response.status === 410 ? "这段音像已按保存期限删除，无法播放。"
        : response.status === 409 ? "这段音像的编码浏览器无法直接播放，可播放的副本正在生成，请稍后再试（原件不受影响）。"
        : "无法播放（" + response.status + "），请刷新页面后重试。";
      return;
    }
    const grant = await response.json();
    document.querySelectorAll(".clip.playing").forEach(function (el) { el.classList.remove("playing"); });
    const clip = button.closest(".clip");
    if (clip) clip.classList.add("playing");
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
