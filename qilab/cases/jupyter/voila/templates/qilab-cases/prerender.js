// QI Lab case pages: draw each widget's static rendering (qilab.cases.prerender) as soon as it
// arrives, and swap in the live widget once Voila's front end has drawn it.
window.qilabPrerender = (function () {
  "use strict";
  var SPEC = "script[type='application/vnd.qilab.vega-lite+json']";
  // Swap anyway this long after the live widget appeared, even if not every chart has drawn:
  // live controls matter more than a complete static picture.
  var PATIENCE_MS = 8000;
  var pending = [];
  var drawing = [];
  var observer = null;

  function draw(prerender) {
    prerender.querySelectorAll(SPEC).forEach(function (node) {
      var target = document.getElementById(node.dataset.target);
      drawing.push(window.__qilabVega
        .then(function () {
          return window.vegaEmbed(target, JSON.parse(node.textContent), {
            actions: false, renderer: "svg", mode: "vega-lite"
          });
        })
        .catch(function (error) { console.error("QI Lab: static chart not drawn", error); }));
    });
  }

  // The live widget is ready when Voila has rendered it and it has drawn as many charts as
  // the static rendering has (a panel without charts: as soon as it is rendered).
  function liveIsDrawn(prerender) {
    var live = prerender.parentElement &&
      prerender.parentElement.querySelector(":scope > .jp-OutputArea-output");
    if (!live || !live.querySelector(".jupyter-widgets")) {
      return false;
    }
    if (!prerender.dataset.liveSince) {
      prerender.dataset.liveSince = String(Date.now());
      setTimeout(swap, PATIENCE_MS + 50);
    }
    var charts = prerender.querySelectorAll(".qilab-chart").length;
    return live.querySelectorAll("svg.marks").length >= charts ||
      Date.now() - Number(prerender.dataset.liveSince) >= PATIENCE_MS;
  }

  function swap() {
    pending = pending.filter(function (prerender) {
      if (!liveIsDrawn(prerender)) {
        return true;
      }
      prerender.parentElement.classList.remove("qilab-prerender-host");
      prerender.remove();
      return false;
    });
    if (!pending.length && observer) {
      observer.disconnect();
      observer = null;
    }
  }

  function show(prerender) {
    prerender.parentElement.classList.add("qilab-prerender-host");
    draw(prerender);
    pending.push(prerender);
    if (!observer) {
      observer = new MutationObserver(swap);
      observer.observe(document.documentElement, { childList: true, subtree: true });
    }
  }

  // Start Voila's front end (voila.js and its ~70 chunks) once the static charts are drawn,
  // so the browser's one main thread draws them first instead of after 3 MB of JavaScript.
  // Voila's code starts on the window's `load` event; if that has already passed by the time
  // its script has run (no chart took long), it is given the event it waited for.
  var loaded = false;
  window.addEventListener("load", function () { loaded = true; });

  function thenStart(src) {
    function start() {
      var script = document.createElement("script");
      script.src = src;
      script.onload = function () {
        if (loaded) {
          window.dispatchEvent(new Event("load"));
        }
      };
      document.body.appendChild(script);
    }
    Promise.all(drawing).then(start, start);
  }

  return { show: show, thenStart: thenStart };
})();
