/**
 * nbgrader's Assignment List, usable by keyboard and screen reader (WCAG 2.2 AA).
 *
 * Why: nbgrader draws the list as plain HTML, and several controls cannot be found or used
 * without a mouse and sight:
 * - "(view feedback)" is an <a> with no href: not in the Tab order, not announced as a link,
 *   and Enter does nothing (2.1.1 Keyboard, 4.1.2 Name, Role, Value). It gets role="link",
 *   tabindex="0" and Enter/Space run nbgrader's own click handler; its name says whose it is.
 * - the refresh button is an icon; its name comes only from a tooltip (title). It gets a
 *   proper aria-label, and the icon is hidden from screen readers.
 * - every row's button reads "Fetch", "Submit" or "Validate" alone, so a screen reader's list
 *   of buttons is twelve identical "Fetch"es (2.4.6 Headings and Labels). Each button is named
 *   by its own text followed by its assignment or notebook ("Fetch foundation_pdsa"), through
 *   aria-labelledby, so the name follows nbgrader's changing text ("Fetching...").
 * - the course chooser is two unnamed buttons ("qilab" and a caret); they become a group
 *   labelled by the toolbar's text, the caret named "Choose a course".
 *
 * It uses only the DOM (nbgrader's panel is not a JupyterLab widget one can reach), and runs
 * again whenever nbgrader redraws the panel, which it does after every fetch, submit and refresh.
 */

const PANEL = '#assignments';
let nextId = 0;

function idOf(element) {
  if (!element.id) {
    nextId += 1;
    element.id = `qilab-al-${nextId}`;
  }
  return element.id;
}

function setAttr(element, name, value) {
  if (element.getAttribute(name) !== value) {
    element.setAttribute(name, value);
  }
}

/** The row's name span (assignment, notebook or submission time) a button belongs to. */
function rowName(button) {
  const row = button.closest('.col-md-12');
  return row ? row.querySelector(':scope > .item_name') : null;
}

function nameRowButtons(panel) {
  for (const button of panel.querySelectorAll('.list_item .item_status button')) {
    const name = rowName(button);
    if (name && name.textContent.trim()) {
      setAttr(button, 'aria-labelledby', `${idOf(button)} ${idOf(name)}`);
    }
  }
}

function openOnKeys(event) {
  if (event.key === 'Enter' || event.key === ' ') {
    event.preventDefault();
    event.currentTarget.click();
  }
}

function makeFeedbackLinksKeyboardable(panel) {
  for (const link of panel.querySelectorAll('.item_name a:not([href])')) {
    if (link.dataset.qilabKeyboard) {
      continue;
    }
    link.dataset.qilabKeyboard = 'yes';
    link.setAttribute('role', 'link');
    link.setAttribute('tabindex', '0');
    link.classList.add('qilab-feedback-link');
    link.addEventListener('keydown', openOnKeys);
    const item = link.closest('.assignment-notebooks, .list_item');
    const assignment = item && item.parentElement
      ? item.parentElement.closest('.list_item')
      : null;
    const title = assignment ? assignment.querySelector('.item_name') : null;
    const when = link.parentElement ? link.parentElement.firstChild : null;
    const parts = ['View feedback'];
    if (title && title.textContent.trim()) {
      parts.push(`for ${title.textContent.trim()}`);
    }
    if (when && when.nodeType === Node.TEXT_NODE && when.textContent.trim()) {
      parts.push(`(submitted ${when.textContent.trim()})`);
    }
    link.setAttribute('aria-label', parts.join(' '));
  }
}

function nameToolbar(panel) {
  const refresh = panel.querySelector('#refresh_assignments_list');
  if (refresh) {
    setAttr(refresh, 'aria-label', 'Refresh the assignment list');
  }
  const info = panel.querySelector('#assignments_list_info');
  const group = panel.querySelector('#assignments_toolbar .btn-group');
  if (info && group) {
    setAttr(group, 'role', 'group');
    setAttr(group, 'aria-labelledby', idOf(info));
  }
  const chooser = panel.querySelector('#course_list_dropdown');
  if (chooser) {
    setAttr(chooser, 'aria-label', 'Choose a course');
  }
  const current = panel.querySelector('#course_list_default');
  if (current && info) {
    setAttr(current, 'aria-describedby', idOf(info));
  }
}

/** Apply every fix to the Assignment List under *root* (idempotent). */
export function fixAssignmentList(root) {
  const panel = root.querySelector ? root.querySelector(PANEL) : null;
  if (!panel) {
    return;
  }
  // Icons are decorative: their glyphs (CSS content) would otherwise join the names.
  for (const icon of panel.querySelectorAll('i.fa')) {
    setAttr(icon, 'aria-hidden', 'true');
  }
  nameToolbar(panel);
  nameRowButtons(panel);
  makeFeedbackLinksKeyboardable(panel);
}

/** Fix the Assignment List now and whenever nbgrader draws or redraws it. */
export function watchAssignmentList(root) {
  fixAssignmentList(root);
  new MutationObserver(changes => {
    for (const change of changes) {
      const target = change.target;
      const inside = target.closest && target.closest(PANEL);
      const added = [...change.addedNodes].some(
        node => node.nodeType === Node.ELEMENT_NODE && (node.matches(PANEL) || node.querySelector(PANEL))
      );
      if (inside || added) {
        fixAssignmentList(root);
        return;
      }
    }
  }).observe(root, { childList: true, subtree: true });
}
