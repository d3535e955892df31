// lineage report: the Explode toggle of the graph page (W&B's type view <-> one node per version and run).
(function () {
  "use strict";
  var button = document.getElementById("explode");
  if (!button) return;
  var types = document.getElementById("view-types");
  var exploded = document.getElementById("view-explode");

  function show(explode) {
    types.hidden = explode;
    exploded.hidden = !explode;
    button.textContent = explode ? "Collapse" : "Explode";
    button.setAttribute("aria-pressed", explode ? "true" : "false");
    var focus = explode && exploded.querySelector("g.focus");
    if (focus) {
      // a big graph opens scrolled to the node it was drawn around (the canvas only, not the page)
      var canvas = exploded.querySelector(".canvas");
      var box = focus.getBoundingClientRect();
      var frame = canvas.getBoundingClientRect();
      canvas.scrollLeft += box.left + box.width / 2 - (frame.left + frame.width / 2);
      canvas.scrollTop += box.top + box.height / 2 - (frame.top + frame.height / 2);
    }
    try {
      history.replaceState(null, "", explode ? "#exploded" : "#types");
    } catch (e) {
      // some browsers refuse history changes on file:// pages; the toggle still works
    }
  }

  button.addEventListener("click", function () { show(exploded.hidden); });
  var hash = window.location.hash;
  show(hash === "#exploded" || (hash !== "#types" && document.body.dataset.start === "explode"));
})();
