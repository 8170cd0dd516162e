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

  // Start Voila's front end (its styles, then voila.js and its ~70 chunks) once the page's
  // charts are drawn (the server has drawn most of them already, and the browser's one main
  // thread draws any others first, before 3 MB of JavaScript) and there is room (whenRoom).
  // Voila's code starts on the window's `load` event, listening for it only once its chunks
  // have loaded, which may be after the event: a `load` listener added after the event is
  // called at once, as it would have been (as Voila does for its own theme code).
  var loaded = false;
  window.addEventListener("load", function () { loaded = true; });
  var addListener = window.addEventListener;
  window.addEventListener = function (type, listener, options) {
    addListener.call(window, type, listener, options);
    if (type === "load" && loaded && listener) {
      setTimeout(function () {
        var event = new Event("load");
        if (typeof listener === "function") {
          listener.call(window, event);
        } else {
          listener.handleEvent(event);
        }
      }, 0);
    }
  };

  function load(sources) {
    var script = document.createElement("script");
    script.src = sources[0];
    script.onload = function () {
      if (sources.length > 1) {
        load(sources.slice(1));
      }
    };
    document.body.appendChild(script);
  }

  // Voila's front end costs a browser about 4 s of CPU. Started at once on a computer that is
  // already busy (a slow laptop, or many pages of a case opened together on one machine), it
  // holds back the pages still arriving, and their charts with them. So it starts as soon as
  // the visitor reaches for the page (a key, the pointer, a touch, a scroll), or the page's
  // timers run on time (the computer has room: at once on an idle one), and at the latest
  // MAX_WAIT_MS after the charts are drawn.
  var TICKS = 4;
  var TICK_MS = 25;
  var LATE_MS = 40;
  var MAX_WAIT_MS = 8000;
  var REACHING = ["keydown", "pointerdown", "pointermove", "touchstart", "wheel", "scroll",
    "focusin"];

  function whenRoom(start) {
    var started = false;
    var since = performance.now();
    function go() {
      if (started) {
        return;
      }
      started = true;
      REACHING.forEach(function (type) { window.removeEventListener(type, go, true); });
      start();
    }
    REACHING.forEach(function (type) {
      window.addEventListener(type, go, { capture: true, passive: true });
    });
    (function probe() {
      var began = performance.now();
      var ticks = 0;
      function tick() {
        if (started) {
          return;
        }
        ticks += 1;
        if (ticks < TICKS) {
          setTimeout(tick, TICK_MS);
          return;
        }
        var now = performance.now();
        if (now - began - TICKS * TICK_MS <= LATE_MS || now - since >= MAX_WAIT_MS) {
          go();
        } else {
          probe();
        }
      }
      setTimeout(tick, TICK_MS);
    })();
  }

  // A page sent while a kernel starts for its visitor (qilab.cases.waiting) has a ticket: it
  // asks the server whether that kernel is ready, then reloads as the live page from it,
  // where it was scrolled to. Nothing is lost: its controls were not live yet.
  var SCROLL_KEY = "qilab-scroll:" + location.pathname;
  var TICKET_ARG = "qilab-ticket";

  function ticket() {
    var slot = document.getElementById("qilab-ticket");
    try {
      return slot ? JSON.parse(slot.textContent) : null;
    } catch (error) {
      return null;
    }
  }

  function waitForKernel(ticket) {
    function go(url) {
      try {
        sessionStorage.setItem(SCROLL_KEY, String(window.scrollY));
      } catch (error) { /* private browsing: the live page opens at the top */ }
      location.replace(url);
    }
    // Any answer but the server's own (the ticket gone, a login page after a restart, an
    // error) and the page visits again; so do five questions in a row that got no answer.
    var failures = 0;
    function again() { go(location.pathname); }
    (function ask() {
      fetch(ticket.poll, { cache: "no-store", credentials: "same-origin" })
        .then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (!response.ok || response.redirected || type.indexOf("application/json") < 0) {
            again();
            return;
          }
          return response.json().then(function (answer) {
            failures = 0;
            if (answer.ready) {
              go(ticket.live);
            } else {
              setTimeout(ask, ticket.every_ms);
            }
          });
        })
        .catch(function () {
          failures += 1;
          if (failures >= 5) {
            again();
          } else {
            setTimeout(ask, 4 * ticket.every_ms);
          }
        });
    })();
  }

  // Voila's front end moves the page's cells into its own panel, which then scrolls instead
  // of the window: a visitor who had scrolled down (reading while it loaded) would be thrown
  // back to the top. So the panel is scrolled to where the window was.
  var windowScroll = 0;
  function keepScroll() {
    var cells = document.getElementById("rendered_cells");
    if (!cells) {
      return;
    }
    var moved = false;
    window.addEventListener("scroll", function () {
      if (!moved) {
        windowScroll = window.scrollY;
      }
    }, { passive: true });
    new MutationObserver(function (changes, observer) {
      if (!cells.classList.contains("lm-Widget")) {
        return;
      }
      moved = true;
      observer.disconnect();
      var frames = 0;
      (function scrollPanel() {
        // The panel is laid out over the next frames: until it can scroll that far.
        cells.scrollTop = windowScroll;
        if (cells.scrollTop < windowScroll - 1 && ++frames < 60) {
          requestAnimationFrame(scrollPanel);
        }
      })();
    }).observe(cells, { attributes: true, attributeFilter: ["class"] });
  }

  // The live page a waiting page reloaded into: back where the visitor was, under the
  // case's own address (the ticket is spent).
  function arrived() {
    if (location.search.indexOf(TICKET_ARG + "=") < 0) {
      return;
    }
    var params = new URLSearchParams(location.search);
    params.delete(TICKET_ARG);
    var query = params.toString();
    history.replaceState(history.state, "", location.pathname + (query ? "?" + query : ""));
    try {
      var scrolled = sessionStorage.getItem(SCROLL_KEY);
      sessionStorage.removeItem(SCROLL_KEY);
      if (scrolled) {
        window.scrollTo(0, Number(scrolled));
        windowScroll = window.scrollY;
      }
    } catch (error) { /* no storage: stay at the top */ }
  }

  function thenStart(sources) {
    var waiting = ticket();
    if (waiting) {
      waitForKernel(waiting);
      return;
    }
    keepScroll();
    arrived();
    function start() { whenRoom(function () { load(sources); }); }
    Promise.all(drawing).then(start, start);
  }

  return { show: show, thenStart: thenStart };
})();
