// Follows a background run (a document batch, a closing run): polls its state every second, moves the
// progress bar, and shows the archive's link once it is ready. A page that draws more of the run than the
// bar (a closing run's counts and summary) gives the signature of what it drew: it is reloaded when that
// changes, so that its figures follow the run.
(function () {
  var box = document.getElementById("batch");
  if (!box) { return; }
  var labels = { queued: "en file d'attente", running: "en cours", done: "terminé", failed: "échec" };
  // The DSFR badge type of each status, as the server draws it (BADGE_TYPES in web/views/filters.py).
  var types = { queued: "info", running: "info", done: "success", failed: "error" };
  var countText = box.dataset.countText || "documents produits : {done} sur {total}";
  var drawn = box.dataset.reloadSignature;
  function signatureOf(run) {
    return [run.status, (run.counts || {}).statements_received, run.archive_ready ? "true" : "false"].join("|");
  }
  function update() {
    fetch(box.dataset.stateUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (run) {
        if (!run) { return; }
        if (drawn !== undefined && signatureOf(run) !== drawn) { window.location.reload(); return; }
        var progress = Number(run.progress) || 0;
        document.getElementById("batch-progress").value = progress;
        document.getElementById("batch-percent").textContent = progress + " %";
        document.getElementById("batch-count").textContent =
          countText.replace("{done}", run.done).replace("{total}", run.total) +
          (run.failed ? ", " + run.failed + " en échec" : "");
        var badge = document.querySelector("#batch-status .fr-badge");
        badge.className = "fr-badge fr-badge--sm" + (types[run.status] ? " fr-badge--" + types[run.status] : "");
        badge.textContent = labels[run.status] || run.status;
        // A batch's archive is written as it finishes; a closing run's once its statements have arrived.
        var ready = run.archive_ready === undefined ? run.status === "done" : run.archive_ready;
        if (ready) {
          document.getElementById("batch-archive").hidden = false;
        } else if (run.status !== "failed") {
          window.setTimeout(update, run.status === "done" ? 3000 : 1000);
        }
      })
      .catch(function () { window.setTimeout(update, 3000); });
  }
  update();
})();
