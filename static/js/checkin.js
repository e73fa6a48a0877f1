/* Check-in page: live counts over Socket.IO (docs/realtime.md) and the camera scanner.
   The page works without it: the search form and the check-in button are plain forms. */
(function () {
  "use strict";

  var root = document.getElementById("checkin");
  if (!root) return;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var form = root.querySelector("[data-find]");
  var input = form.querySelector("input[name=q]");
  var scanButton = root.querySelector("[data-scan]");
  var panel = root.querySelector("[data-scanner]");
  var video = root.querySelector("[data-video]");
  var status = root.querySelector("[data-scan-status]");
  var conn = root.querySelector("[data-conn]");
  var lastSeq = 0;
  var stream = null;
  var detector = null;
  var canvas = null;
  var timer = null;

  function text(key, fallback) {
    return root.dataset["text" + key] || fallback;
  }

  /* Counts: apply a payload {seq, counts} unless an older one than shown. */
  function showCounts(payload) {
    if (!payload || !payload.counts || payload.seq < lastSeq) return;
    lastSeq = payload.seq;
    Object.keys(payload.counts).forEach(function (key) {
      root.querySelectorAll('[data-count="' + key + '"]').forEach(function (node) {
        node.textContent = payload.counts[key];
      });
    });
  }

  function setConn(state, message) {
    document.body.dataset.connState = state;
    if (conn) conn.textContent = state === "online" ? "" : (message || text("Offline", "Reconnecting…"));
  }

  function connect() {
    if (typeof io !== "function") return;
    var socket = io({ auth: { csrf_token: csrf }, transports: ["websocket", "polling"] });
    socket.on("connect", function () {
      socket.emit("join_checkin", { event: root.dataset.event }, function (ack) {
        if (!ack || !ack.ok) { setConn("error", ack && ack.message); return; }
        lastSeq = 0;
        setConn("online");
        showCounts(ack);
      });
    });
    socket.on("disconnect", function () { setConn("offline"); });
    socket.on("connect_error", function () { setConn("offline"); });
    socket.on("checkin_counts", showCounts);
  }

  /* Scanner: the camera's frames go to the browser's BarcodeDetector, else to jsQR. */
  function say(message) {
    status.textContent = message || "";
  }

  function startScan() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say(text("NoCamera", "No camera here."));
      return;
    }
    say(text("Starting", "Starting the camera…"));
    panel.hidden = false;
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.play();
        detector = makeDetector();
        say(text("Aim", "Hold the QR code in the frame."));
        tick();
      })
      .catch(function () {
        stopScan();
        say(text("Denied", "The camera could not be opened."));
      });
  }

  function makeDetector() {
    if (!("BarcodeDetector" in window)) return null;
    try { return new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { return null; }
  }

  function tick() {
    if (!stream) return;
    decodeFrame().then(function (code) {
      if (code) found(code);
      else if (stream) timer = setTimeout(tick, 150);
    });
  }

  function decodeFrame() {
    if (video.readyState < 2 || !video.videoWidth) return Promise.resolve(null);
    if (detector) {
      return detector.detect(video)
        .then(function (codes) { return codes.length ? codes[0].rawValue : null; })
        .catch(function () { detector = null; return null; });
    }
    return Promise.resolve(decodeWithJsQR());
  }

  function decodeWithJsQR() {
    if (typeof window.jsQR !== "function") return null;
    // Decode a reduced frame: a ticket held at the door fills much of the picture.
    var scale = Math.min(1, 640 / Math.max(video.videoWidth, video.videoHeight));
    var width = Math.round(video.videoWidth * scale);
    var height = Math.round(video.videoHeight * scale);
    canvas = canvas || document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    var context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, width, height);
    var result = window.jsQR(context.getImageData(0, 0, width, height).data, width, height, { inversionAttempts: "dontInvert" });
    return result && result.data ? result.data : null;
  }

  function found(code) {
    stopScan();
    if (navigator.vibrate) navigator.vibrate(80);
    say(text("Found", "Ticket read."));
    input.value = code;
    form.submit();
  }

  function stopScan() {
    clearTimeout(timer);
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.srcObject = null;
    panel.hidden = true;
    say("");
  }

  scanButton.hidden = false;
  scanButton.addEventListener("click", function () { if (stream) stopScan(); else startScan(); });
  root.querySelector("[data-scan-stop]").addEventListener("click", stopScan);
  window.addEventListener("pagehide", stopScan);
  connect();

  window.PlenumCheckin = { decoderReady: function () { return typeof window.jsQR === "function"; } };
})();
