// Follows a document batch: polls its state every second and moves the progress bar until it is done.
(function () {
  var box = document.getElementById("batch");
  if (!box) { return; }
  var labels = { queued: "en file d'attente", running: "en cours", done: "terminé", failed: "échec" };
  function update() {
    fetch(box.dataset.stateUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (batch) {
        if (!batch) { return; }
        var progress = Number(batch.progress) || 0;
        document.getElementById("batch-progress").value = progress;
        document.getElementById("batch-percent").textContent = progress + " %";
        document.getElementById("batch-count").textContent = "documents produits : " + batch.done +
          " sur " + batch.total + (batch.failed ? ", " + batch.failed + " en échec" : "");
        var badge = document.querySelector("#batch-status .badge");
        badge.className = "badge badge-" + batch.status;
        badge.textContent = labels[batch.status] || batch.status;
        if (batch.status === "done") {
          document.getElementById("batch-archive").hidden = false;
        } else if (batch.status !== "failed") {
          window.setTimeout(update, 1000);
        }
      })
      .catch(function () { window.setTimeout(update, 3000); });
  }
  update();
})();
