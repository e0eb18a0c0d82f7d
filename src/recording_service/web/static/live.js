// 实时查看 (issue 29): hls.js plays the view's signed playlist a few seconds behind the recording; the page's facts
// (bytes received, fragments, still recording) refresh every few seconds. No worker: the page's CSP allows none.
(function () {
  "use strict";
  const video = document.getElementById("live-player");
  if (!video) return;
  const caption = document.getElementById("live-caption");
  const say = function (text) { if (caption) caption.textContent = text; };
  const playlist = video.dataset.playlist;
  let hls = null;

  function start() {
    if (window.Hls && window.Hls.isSupported()) {
      hls = new window.Hls({ enableWorker: false, liveSyncDurationCount: 2, liveMaxLatencyDurationCount: 6, manifestLoadingMaxRetry: 1000,
        manifestLoadingRetryDelay: 2000, levelLoadingMaxRetry: 1000, levelLoadingRetryDelay: 2000 });
      hls.on(window.Hls.Events.ERROR, function (_event, data) {
        const code = data.response && data.response.code;
        if (code === 403) { say("查看授权已过期，正在重新打开……"); window.location.reload(); return; }
        if (code === 422) { say("这段录像无法实时查看（不是分段 MP4）。"); hls.destroy(); return; }
        if (!data.fatal) return;
        if (data.type === window.Hls.ErrorTypes.NETWORK_ERROR) { say("等待录像数据……"); setTimeout(function () { hls.startLoad(); }, 2000); }
        else if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) { hls.recoverMediaError(); }
        else { say("播放出错，请刷新页面。"); }
      });
      hls.on(window.Hls.Events.MANIFEST_PARSED, function () { video.play().catch(function () { /* the controls are there */ }); });
      hls.loadSource(playlist);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = playlist;
    } else {
      say("此浏览器不支持实时播放，请使用新版 Chromium 或 Chrome。");
    }
  }

  video.addEventListener("playing", function () { say("正在播放（比现场晚几秒）"); });
  video.addEventListener("waiting", function () { say("等待下一段录像……"); });
  video.addEventListener("ended", function () { say("录制已结束，已播放到最后。"); });

  const size = function (bytes) {
    const units = [["GB", 1 << 30], ["MB", 1 << 20], ["KB", 1 << 10]];
    for (const [unit, factor] of units) if (bytes >= factor) return (bytes / factor).toFixed(1) + " " + unit;
    return bytes + " B";
  };
  const duration = function (seconds) {
    const total = Math.round(seconds), h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    const two = function (n) { return String(n).padStart(2, "0"); };
    return h ? h + "小时" + two(m) + "分" + two(s) + "秒" : m ? m + "分" + two(s) + "秒" : s + "秒";
  };
  async function refresh() {
    try {
      const response = await fetch(video.dataset.state, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const state = await response.json();
      document.getElementById("live-received").textContent = size(state.received_bytes) + "（" + state.received_bytes + " 字节）";
      document.getElementById("live-fragments").textContent = state.fragments + " 段，约 " + duration(state.seconds);
      document.getElementById("live-status").textContent = state.live ? "正在录制上传" : "录制已结束";
      const badge = document.getElementById("live-badge");
      badge.textContent = state.live ? "直播中" : "录制已结束";
      badge.classList.toggle("live-on", state.live);
      badge.classList.toggle("live-off", !state.live);
      if (!state.live) clearInterval(timer);
    } catch (error) { /* the next round tries again */ }
  }
  const timer = setInterval(refresh, 3000);
  start();
})();
