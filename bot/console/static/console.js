// Live updates for the staff console: new hand-offs refresh the inbox, new messages appear in the
// open conversation, and replies are sent without leaving the page.
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

  function connect() {
    var socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/staff/ws");
    socket.onmessage = function (message) {
      var event = JSON.parse(message.data);
      if (history && event.type === "message" && String(event.id) === handoffId) {
        addLine(event.author, event.text);
      } else if (!history && (event.type === "handoff" || event.type === "flagged" || event.type === "released")) {
        location.reload();
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
