// Run in the page by tests/sweep.py: facts about every cell and chart now laid out in the DOM.
// (A JavaScript arrow function; Playwright's page.evaluate calls it with the root selector.)
(root) => {
  const scope = root ? document.querySelector(root) : document;
  const found = [];
  const cells = scope.querySelectorAll('.jp-Cell');
  const describe = (el) => {
    const out = {errors: [], stderr: [], charts: []};
    el.querySelectorAll("[data-mime-type='application/vnd.jupyter.error'], .jp-OutputArea-output pre")
      .forEach(e => { if (/Traceback|Error:|Exception/.test(e.textContent) &&
                          e.closest("[data-mime-type='application/vnd.jupyter.error']"))
                        out.errors.push(e.textContent.slice(0, 600)); });
    el.querySelectorAll("[data-mime-type='application/vnd.jupyter.stderr']")
      .forEach(e => out.stderr.push(e.textContent.slice(0, 600)));
    const text = el.textContent;
    for (const marker of ['Error displaying widget', 'JavaScript Error:', 'Loading widget...']) {
      if (text.includes(marker)) out.errors.push(marker + ' ' + text.slice(text.indexOf(marker), text.indexOf(marker) + 300));
    }
    el.querySelectorAll('.vega-embed').forEach(embed => {
      const svg = embed.querySelector('svg.marks') || embed.querySelector(':scope > svg');
      const canvas = embed.querySelector('canvas');
      const drawn = svg || canvas;
      const box = drawn ? drawn.getBoundingClientRect() : embed.getBoundingClientRect();
      let marks = -1;
      if (svg) {
        marks = 0;
        svg.querySelectorAll('g.role-mark > path, g.role-mark > line, g.role-mark > rect, g.role-mark > text, g.role-mark > g > path')
          .forEach(m => {
            if (m.closest('.role-axis, .role-legend, .role-title, .role-axis-grid')) return;
            const d = m.getAttribute('d');
            if (m.tagName === 'path' && (!d || d === 'M0,0Z' || d.length < 3)) return;
            marks += 1;
          });
      }
      // vega-embed puts the spec's description on the chart's wrapper (role graphics-document)
      // (on the .vega-embed element itself when the chart has no actions menu)
      const labelled = (embed.matches('[aria-label]') ? embed : null)
        || embed.querySelector('[role="graphics-document"][aria-label]') || svg;
      const label = labelled ? (labelled.getAttribute('aria-label') || '') : '';
      const title = svg ? Array.from(svg.querySelectorAll('.role-title text')).map(t => t.textContent).join(' ') : '';
      out.charts.push({renderer: svg ? 'svg' : (canvas ? 'canvas' : 'none'),
                       width: Math.round(box.width), height: Math.round(box.height),
                       marks: marks, label: label.slice(0, 300), title: title.slice(0, 200),
                       visible: box.bottom > 0 && box.top < window.innerHeight});
    });
    return out;
  };
  if (cells.length === 0) {  // Voila: no cells, one page of outputs
    found.push({index: 0, kind: 'page', prompt: '', source: '', ...describe(scope)});
    return found;
  }
  cells.forEach((cell, i) => {
    const index = cell.dataset.windowedListIndex !== undefined ? Number(cell.dataset.windowedListIndex) : i;
    const prompt = (cell.querySelector('.jp-InputPrompt') || {}).textContent || '';
    const editor = cell.querySelector('.jp-InputArea-editor');
    const source = editor ? editor.textContent.slice(0, 80) : '';
    found.push({index, kind: cell.classList.contains('jp-CodeCell') ? 'code' : 'other',
                prompt: prompt.trim(), source, ...describe(cell)});
  });
  return found;
}
