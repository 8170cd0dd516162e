/**
 * Slider handles named by their slider's description, for screen readers.
 *
 * Why: a simulation's slider handle (ipywidgets draws it with noUiSlider) is what the keyboard
 * focuses and a screen reader announces, as "slider, 5" with no name: its description is a
 * separate label the handle does not point to (WCAG 2.2, 4.1.2 Name, Role, Value). Each handle
 * gets its slider's description as its accessible name ("Variation"; "… (lower)" and
 * "… (upper)" for a range), in lessons and simulations alike.
 *
 * One file for both places a learner meets sliders: the lab extension imports it (index.js),
 * and Voila case pages, which do not load lab extensions, include it in the page (the
 * qilab-cases template). So it uses nothing but the DOM.
 */
export function nameSliderHandles(root) {
  if (!root.querySelectorAll) {
    return;
  }
  for (const handle of root.querySelectorAll('.widget-slider .noUi-handle')) {
    const slider = handle.closest('.widget-slider');
    const label = slider && slider.querySelector(':scope > .widget-label');
    const text = label ? label.textContent.trim() : '';
    if (!text) {
      continue;
    }
    const handles = slider.querySelectorAll('.noUi-handle');
    let name = text;
    if (handles.length === 2) {
      name = `${text} (${handle === handles[0] ? 'lower' : 'upper'})`;
    }
    if (handle.getAttribute('aria-label') !== name) {
      handle.setAttribute('aria-label', name);
    }
  }
}

/** Name the handles under *root* now and whenever widgets are drawn later. */
export function watchSliderNames(root) {
  nameSliderHandles(root);
  new MutationObserver(changes => {
    for (const change of changes) {
      for (const node of change.addedNodes) {
        if (node.nodeType === Node.ELEMENT_NODE) {
          const inside = node.closest && node.closest('.widget-slider');
          nameSliderHandles(inside ? inside.parentElement || node : node);
        }
      }
    }
  }).observe(root, { childList: true, subtree: true });
}
