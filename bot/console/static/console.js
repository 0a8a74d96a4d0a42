// Live updates for the staff console: new hand-offs show a notice that offers a refresh, new messages
// appear in the open conversation, and replies are sent without leaving the page.
(function () {
  "use strict";
  var history = document.getElementById("history");
  var handoffId = history ? history.getAttribute("data-handoff") : null;
  var names = {citizen: "群众", bot: "智能助手", staff: "工作人员"};

  function addLine(author, text) {
    var line = document.createElement("div");
    var kind = author.split(":")[0];
    line.className = "line " + kind;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = names[kind] || author;
    var body = document.createElement("span");
    body.className = "text";
    body.textContent = text;  // citizen text is shown as text, never as HTML
    line.appendChild(who);
    line.appendChild(body);
    history.appendChild(line);
  }

  // A page is never reloaded under a staff member's hands (they may be typing a reply): a notice
  // offers the refresh instead.
  var notices = {
    handoff: "有新的转人工会话，点击刷新",
    flagged: "有新的情绪预警会话，点击刷新",
    released: "会话列表有变化，点击刷新",
    missed: "有新的更新未能实时显示，点击刷新"
  };

  function showNotice(text) {
    var notice = document.getElementById("live-notice");
    if (!notice) {
      notice = document.createElement("button");
      notice.type = "button";
      notice.id = "live-notice";
      notice.className = "live-notice";
      notice.addEventListener("click", function () { location.reload(); });
      document.querySelector("main").insertBefore(notice, document.querySelector("main").firstChild);
    }
    notice.textContent = text;
  }

  function connect() {
    var socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/staff/ws");
    socket.onmessage = function (message) {
      var event = JSON.parse(message.data);
      if (history && event.type === "message" && String(event.id) === handoffId) {
        addLine(event.author, event.text);
      } else if (notices[event.type] && (event.type === "missed" || !history)) {
        showNotice(notices[event.type]);
      }
    };
    socket.onclose = function () { setTimeout(connect, 3000); };
  }
  connect();

  var form = document.getElementById("reply");
  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(form);
      fetch(form.action, {method: "POST", body: new URLSearchParams(data), headers: {"X-Requested-With": "fetch"}})
        .then(function (response) { if (response.ok) { form.reset(); } });
    });
  }
})();
