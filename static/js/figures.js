// Figures full-screen: every lesson image and exam-question image gets an "Enlarge"
// button (and opens when clicked). The enlarged view is a modal <dialog>: the image at
// a size a rhythm strip can be measured at (on a phone, as tall as the screen allows,
// scrolling sideways), pinch or ctrl+wheel to zoom, drag to pan, keys + and - to zoom
// and 0 to fit again, Escape (or Close) to leave, focus back on the button that
// opened it. Without this file every image still shows in the page; rhythm strips keep
// a readable size there (site.css, "Figures and rhythm strips").
(function () {
  "use strict";

  const SELECTOR = ".prose img, .question img";
  const STEP = 1.25;
  const MAX_TIMES_NATURAL = 8;

  const images = Array.from(document.querySelectorAll(SELECTOR)).filter(function (img) {
    return img.getAttribute("src");
  });
  if (!images.length || typeof HTMLDialogElement === "undefined") {
    return;
  }

  let dialog = null;
  let viewport = null;
  let shown = null;
  let title = null;
  let opener = null;
  let source = null;
  let fitWidth = 0;

  function button(label, text, onClick) {
    const element = document.createElement("button");
    element.type = "button";
    element.className = "btn btn-secondary btn-sm";
    element.textContent = text;
    if (label !== text) {
      element.setAttribute("aria-label", label);
    }
    element.addEventListener("click", onClick);
    return element;
  }

  function build() {
    dialog = document.createElement("dialog");
    dialog.className = "figure-zoom";
    dialog.setAttribute("aria-labelledby", "figure-zoom-title");
    const bar = document.createElement("div");
    bar.className = "figure-zoom-bar";
    title = document.createElement("h2");
    title.id = "figure-zoom-title";
    title.className = "figure-zoom-title";
    const hint = document.createElement("p");
    hint.className = "figure-zoom-hint";
    hint.id = "figure-zoom-hint";
    hint.textContent = "Pinch, or press + and −, to zoom; 0 fits the screen; Escape closes.";
    bar.append(
      title,
      button("Zoom out", "−", function () { zoomBy(1 / STEP); }),
      button("Zoom in", "+", function () { zoomBy(STEP); }),
      button("Fit to screen", "Fit", function () { setWidth(fitWidth); }),
      button("Close", "Close", function () { dialog.close(); })
    );
    viewport = document.createElement("div");
    viewport.className = "figure-zoom-viewport";
    viewport.tabIndex = 0;
    viewport.setAttribute("role", "region");
    viewport.setAttribute("aria-label", "Enlarged image");
    viewport.setAttribute("aria-describedby", "figure-zoom-hint");
    shown = document.createElement("img");
    shown.draggable = false; // dragging pans the view, it does not lift the image
    viewport.append(shown);
    dialog.append(bar, hint, viewport);
    document.body.append(dialog);

    dialog.addEventListener("keydown", onKey);
    dialog.addEventListener("close", function () {
      shown.removeAttribute("src");
      if (opener) {
        opener.focus();
      }
    });
    viewport.addEventListener(
      "wheel",
      function (event) {
        if (event.ctrlKey) {
          event.preventDefault();
          zoomBy(Math.exp(-event.deltaY / 200), event.clientX, event.clientY);
        }
      },
      { passive: false }
    );
    pointerGestures();
  }

  function naturalWidth() {
    return shown.naturalWidth || (source && source.naturalWidth) || 800;
  }

  function aspect() {
    const box = source.getBoundingClientRect();
    if (box.width && box.height) {
      return box.width / box.height;
    }
    return naturalWidth() / (shown.naturalHeight || naturalWidth());
  }

  // Fit: the whole image when the screen shows it at its own size or more; on a
  // smaller screen, as tall as the screen (up to twice its own size), so a strip is
  // read at full height and scrolled sideways.
  function computeFit() {
    const ratio = aspect();
    const wide = viewport.clientWidth;
    const high = viewport.clientHeight;
    const contain = Math.min(wide, high * ratio);
    if (contain >= naturalWidth()) {
      return contain;
    }
    return Math.max(contain, Math.min(high * ratio, 2 * naturalWidth()));
  }

  function setWidth(width, x, y) {
    const low = Math.min(fitWidth, viewport.clientWidth) / 2;
    const high = naturalWidth() * MAX_TIMES_NATURAL;
    const target = Math.max(low, Math.min(high, width));
    const box = viewport.getBoundingClientRect();
    // Keep the point under the pointer (or the centre) where it is.
    const px = x === undefined ? box.width / 2 : x - box.left;
    const py = y === undefined ? box.height / 2 : y - box.top;
    const before = shown.getBoundingClientRect();
    const fx = before.width ? (viewport.scrollLeft + px) / before.width : 0.5;
    const fy = before.height ? (viewport.scrollTop + py) / before.height : 0.5;
    shown.style.width = target + "px";
    const after = shown.getBoundingClientRect();
    viewport.scrollLeft = fx * after.width - px;
    viewport.scrollTop = fy * after.height - py;
  }

  function zoomBy(factor, x, y) {
    setWidth(shown.getBoundingClientRect().width * factor, x, y);
  }

  function onKey(event) {
    if (event.altKey || event.metaKey || event.ctrlKey) {
      return;
    }
    if (event.key === "+" || event.key === "=") {
      zoomBy(STEP);
    } else if (event.key === "-" || event.key === "_") {
      zoomBy(1 / STEP);
    } else if (event.key === "0") {
      setWidth(fitWidth);
    } else {
      return;
    }
    event.preventDefault();
  }

  // One pointer drags the image; two pinch it.
  function pointerGestures() {
    const pointers = new Map();
    let pinch = null;
    let drag = null;

    function spread() {
      const [a, b] = Array.from(pointers.values());
      return {
        distance: Math.hypot(a.x - b.x, a.y - b.y),
        x: (a.x + b.x) / 2,
        y: (a.y + b.y) / 2,
      };
    }

    viewport.addEventListener("pointerdown", function (event) {
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (pointers.size === 2) {
        pinch = { start: spread(), width: shown.getBoundingClientRect().width };
        drag = null;
      } else if (pointers.size === 1) {
        drag = {
          x: event.clientX,
          y: event.clientY,
          left: viewport.scrollLeft,
          top: viewport.scrollTop,
        };
      }
    });
    viewport.addEventListener("pointermove", function (event) {
      if (!pointers.has(event.pointerId)) {
        return;
      }
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (pinch && pointers.size === 2) {
        const now = spread();
        if (pinch.start.distance > 0) {
          setWidth((pinch.width * now.distance) / pinch.start.distance, now.x, now.y);
        }
      } else if (drag) {
        viewport.scrollLeft = drag.left - (event.clientX - drag.x);
        viewport.scrollTop = drag.top - (event.clientY - drag.y);
      }
    });
    function end(event) {
      pointers.delete(event.pointerId);
      if (pointers.size < 2) {
        pinch = null;
      }
      if (pointers.size === 0) {
        drag = null;
      }
    }
    viewport.addEventListener("pointerup", end);
    viewport.addEventListener("pointercancel", end);
    viewport.addEventListener("pointerleave", end);
  }

  function open(img, trigger) {
    if (!dialog) {
      build();
    }
    source = img;
    opener = trigger;
    title.textContent = img.getAttribute("alt") || "Image";
    shown.alt = img.getAttribute("alt") || "";
    shown.style.width = "";
    shown.src = img.currentSrc || img.src;
    dialog.showModal();
    function fit() {
      fitWidth = computeFit();
      shown.style.width = fitWidth + "px";
      viewport.scrollLeft = 0;
      viewport.scrollTop = 0;
      viewport.focus();
    }
    if (shown.complete && shown.naturalWidth) {
      fit();
    } else {
      shown.addEventListener("load", fit, { once: true });
    }
  }

  images.forEach(function (img) {
    // A strip scrolls in its own box; the button goes after that box.
    const box = img.closest(".figure-scroll, p") || img;
    const alt = img.getAttribute("alt") || "";
    const trigger = button(
      alt ? "Enlarge image: " + alt : "Enlarge image",
      "Enlarge",
      function () { open(img, trigger); }
    );
    trigger.classList.add("figure-zoom-open");
    box.after(trigger);
    img.classList.add("figure-zoomable");
    img.addEventListener("click", function () { open(img, trigger); });
  });
})();
